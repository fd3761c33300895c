import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { PredictionModel, ModelKind } from './entities/prediction-model.entity';
import { auc } from './model-metrics';
import { LogisticArtifact, predictLogistic } from './logistic-model';
import type { CandidateModel } from './training-pipeline';

/** What a training run did with one candidate. */
export interface PromotionDecision {
  version: string;
  kind: ModelKind;
  windowDays: number;
  status: 'active' | 'candidate';
  candidateValidationAuc: number | null;
  activeValidationAuc: number | null;
  reason: string;
}

const CACHE_MS = 30_000;

/**
 * The model registry in PostgreSQL: every process reads the active models from here (cached
 * for 30 s, so a promotion reaches every replica within that), nothing from a local disk.
 */
@Injectable()
export class ModelRegistryService {
  private cache: { at: number; models: PredictionModel[] } | null = null;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The active models, at most one per (kind, window). */
  async active(): Promise<PredictionModel[]> {
    if (this.cache && Date.now() - this.cache.at < CACHE_MS) return this.cache.models;
    const models = await this.dataSource
      .getRepository(PredictionModel)
      .find({ where: { status: 'active' } });
    this.cache = { at: Date.now(), models };
    return models;
  }

  forget(): void {
    this.cache = null;
  }

  async activeOf(kind: ModelKind, windowDays: number): Promise<PredictionModel | null> {
    return (
      (await this.active()).find((m) => m.kind === kind && m.windowDays === windowDays) ?? null
    );
  }

  async list(kind?: ModelKind, limit = 100): Promise<PredictionModel[]> {
    return this.dataSource.getRepository(PredictionModel).find({
      where: kind ? { kind } : {},
      order: { createdAt: 'DESC' },
      take: limit,
    });
  }

  async get(id: string): Promise<PredictionModel | null> {
    return this.dataSource.getRepository(PredictionModel).findOneBy({ id });
  }

  /**
   * Stores a candidate and promotes it when it beats the active model of its kind and window
   * on the candidate's validation split (the active model is scored on the same rows), or
   * when none is active. Otherwise it stays a candidate.
   */
  async register(
    candidate: CandidateModel,
    trainingRunId: string | null,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<PromotionDecision> {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
    const suffix = candidate.kind === 'churn' ? `churn-${candidate.windowDays}d` : 'first-session';
    const version = `${suffix}-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
    const candidateAuc = candidate.metrics.validation.auc;
    return manager.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`model-registry:${suffix}`]);
      const repo = m.getRepository(PredictionModel);
      const current = await repo.findOneBy({
        kind: candidate.kind,
        windowDays: candidate.windowDays,
        status: 'active',
      });
      let activeAuc: number | null = null;
      if (current && sameFeatures(current.features, candidate.features)) {
        const artifact = current.artifact as unknown as LogisticArtifact;
        activeAuc = auc(
          candidate.validation.rows.map((r) => predictLogistic(artifact, r)),
          candidate.validation.labels,
        );
        activeAuc = activeAuc === null ? null : Math.round(activeAuc * 1e4) / 1e4;
      }
      let promote: boolean;
      let reason: string;
      if (candidateAuc === null) {
        promote = false;
        reason = 'the validation split has only one class, so the candidate cannot be compared';
      } else if (!current) {
        promote = true;
        reason = 'no active model';
      } else if (activeAuc === null) {
        promote = true;
        reason = 'the active model uses other features; the candidate replaces it';
      } else if (candidateAuc > activeAuc) {
        promote = true;
        reason = `validation AUC ${candidateAuc} beats the active model's ${activeAuc}`;
      } else {
        promote = false;
        reason = `validation AUC ${candidateAuc} does not beat the active model's ${activeAuc}`;
      }
      const now = new Date();
      if (promote && current) {
        await repo.update({ id: current.id }, { status: 'retired', retiredAt: now });
      }
      await repo.insert({
        // jsonb columns: TypeORM's deep-partial type cannot describe free-form JSON.
        version,
        kind: candidate.kind,
        windowDays: candidate.windowDays,
        status: promote ? 'active' : 'candidate',
        algorithm: candidate.artifact.algorithm,
        features: candidate.features,
        trainedFrom: candidate.trainedFrom,
        trainedTo: candidate.trainedTo,
        metrics: {
          ...candidate.metrics,
          comparedWithActive: activeAuc,
          decision: reason,
        } as never,
        artifact: candidate.artifact as never,
        trainingRunId,
        promotedAt: promote ? now : null,
        retiredAt: null,
      });
      this.forget();
      return {
        version,
        kind: candidate.kind,
        windowDays: candidate.windowDays,
        status: promote ? 'active' : 'candidate',
        candidateValidationAuc: candidateAuc,
        activeValidationAuc: activeAuc,
        reason,
      };
    });
  }

  /** Weekly real-world evaluation of a model, kept with its metrics. */
  async recordLiveEvaluation(id: string, live: Record<string, unknown>): Promise<void> {
    await this.dataSource.query(
      `UPDATE prediction_models SET metrics = metrics || jsonb_build_object('live', $2::jsonb) WHERE id = $1`,
      [id, JSON.stringify(live)],
    );
    this.forget();
  }
}

function sameFeatures(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((f, i) => f === b[i]);
}

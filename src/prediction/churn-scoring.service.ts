import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { queryRows } from '../common/query-rows';
import { eventIdFor } from '../workers/event-id';
import { OutboxService, outboxInsertSql, outboxWakeSql } from '../workers/outbox.service';
import {
  FEATURE_LABELS,
  SCORING_FEATURES_SQL,
  featureParams,
  fillMissing,
  toFeatureRows,
} from './churn-features';
import { CHURN_LABELS_SQL, toLabels } from './churn-labels';
import type { RiskFactor } from './entities/tutor-risk.entity';
import { LogisticArtifact, explainLogistic } from './logistic-model';
import { ModelRegistryService } from './model-registry.service';
import { riskBandOf } from './risk-bands';
import { CHURN_WINDOWS, addDays, isoDay } from './training-pipeline';
import { WEIGHTED_MODEL_VERSION, weightedScore } from './weighted-score';

export const RISK_SCORED_EVENT = 'tutor.risk-scored';
/** A tutor whose label says they churned: `{ tutorId, churnDay, reason }`. */
export const TUTOR_CHURNED_EVENT = 'tutor.churned';
const TOP_FACTORS = 5;
const BATCH = 2_000;

export interface ScoredTutor {
  tutorId: string;
  churnScore: number;
  scoredScore: number;
  band: string;
  probabilities: Record<string, number | null>;
  topFactors: RiskFactor[];
  modelVersion: string;
}

/** A tutor's risk-scored event for one scoring run: a retried run stores it once. */
const riskScoredEventId = (tutorId: string, at: Date) =>
  eventIdFor(`${RISK_SCORED_EVENT}:${tutorId}:${at.toISOString()}`);

/**
 * Churn scores: features as of now in one statement for any number of tutors, the active
 * per-window models from the registry (or the PRD weighted score before any model is
 * trained), then one set-based statement that upserts the current risk and writes the
 * history and the tutor.risk-scored events.
 */
@Injectable()
export class ChurnScoringService {
  private readonly logger = new Logger('ChurnScoring');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: ModelRegistryService,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
  ) {}

  /** The as-of date for "now": data up to the end of today (UTC). */
  private asOf(now: Date): string {
    return addDays(isoDay(now), 1);
  }

  /** Scores the given tutors (all active tutors when null); returns how many were scored. */
  async score(
    tutorIds: string[] | null,
    options: { emit: 'all' | 'band-changes' } = { emit: 'all' },
  ): Promise<{ scored: number; modelVersion: string; ms: number }> {
    const started = Date.now();
    const now = this.clock.now();
    const asOf = this.asOf(now);
    const models = new Map(
      (await this.registry.active())
        .filter((m) => m.kind === 'churn')
        .map((m) => [m.windowDays, m.artifact as unknown as LogisticArtifact]),
    );
    const primary = models.get(30);
    let modelVersion = WEIGHTED_MODEL_VERSION;
    if (primary) {
      modelVersion = (await this.registry.activeOf('churn', 30))?.version ?? WEIGHTED_MODEL_VERSION;
    }
    // Every tutor: one statement that scans each table once (a list of ids would make it look
    // each one up). Given tutors: the ids, looked up through the (tutor, time) indexes.
    const params = featureParams([asOf], tutorIds ?? null);
    const rows = toFeatureRows(
      tutorIds
        ? // A handful of tutors: a small statement, far below the planner's JIT threshold.
          await this.dataSource.query(SCORING_FEATURES_SQL, params)
        : await this.dataSource.transaction(async (m) => {
            // The statement is large and runs once: JIT compilation costs more than it saves.
            // Both settings last until the end of this transaction (as SET LOCAL would).
            await m.query(
              `SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)`,
            );
            return m.query(SCORING_FEATURES_SQL, params);
          }),
    );
    const active = tutorIds
      ? null
      : new Set(
          (
            await this.dataSource.query(
              `SELECT id FROM tutors WHERE status <> 'churned' AND NOT profiling_objection`,
            )
          ).map((r: { id: string }) => r.id),
        );
    const results: ScoredTutor[] = rows
      .filter((row) => !active || active.has(row.tutor_id))
      .map((row) => this.scoreOne(row.tutor_id, row.values, models, modelVersion));
    for (let i = 0; i < results.length; i += BATCH) {
      await this.store(results.slice(i, i + BATCH), asOf, now, options.emit);
    }
    const scored = results.length;
    return { scored, modelVersion, ms: Date.now() - started };
  }

  private scoreOne(
    tutorId: string,
    values: Record<string, number | null>,
    models: Map<number, LogisticArtifact>,
    version: string,
  ): ScoredTutor {
    const probabilities: Record<string, number | null> = {};
    let primaryFactors: RiskFactor[] | null = null;
    let primaryProbability: number | null = null;
    for (const w of CHURN_WINDOWS) {
      const model = models.get(w);
      if (!model) {
        probabilities[`${w}d`] = null;
        continue;
      }
      const vector = fillMissing(values, model.medians);
      const { probability, contributions } = explainLogistic(model, vector);
      probabilities[`${w}d`] = Math.round(probability * 1e4) / 1e4;
      if (w === 30) {
        primaryProbability = probability;
        primaryFactors = contributions
          .map((c, j) => ({
            feature: model.features[j],
            label: FEATURE_LABELS[model.features[j]] ?? model.features[j],
            value: values[model.features[j]] ?? null,
            contribution: Math.round(c * 1000) / 1000,
          }))
          .filter((f) => f.contribution > 0)
          .sort((a, b) => b.contribution - a.contribution)
          .slice(0, TOP_FACTORS);
      }
    }
    if (primaryProbability !== null && primaryFactors) {
      // From the stored (4-decimal) probability, so score and probability always agree.
      const score = Math.round((probabilities['30d'] ?? primaryProbability) * 100);
      return {
        tutorId,
        churnScore: score,
        scoredScore: score,
        band: riskBandOf(score),
        probabilities,
        topFactors: primaryFactors,
        modelVersion: version,
      };
    }
    const weighted = weightedScore(values);
    return {
      tutorId,
      churnScore: weighted.score,
      scoredScore: weighted.score,
      band: riskBandOf(weighted.score),
      probabilities,
      topFactors: weighted.factors.filter((f) => f.contribution > 0).slice(0, TOP_FACTORS),
      modelVersion: WEIGHTED_MODEL_VERSION,
    };
  }

  private async store(
    results: ScoredTutor[],
    asOf: string,
    now: Date,
    emit: 'all' | 'band-changes',
  ): Promise<void> {
    if (!results.length) return;
    const scoredAt = now.toISOString();
    // One statement (atomic, no transaction): the scores, their history, the risk-scored
    // time of the records they follow, and a tutor.risk-scored event per tutor (per tutor
    // whose band changed, for 'band-changes') with riskScoredEvent's payload, built here
    // because the score it carries is the effective one the upsert returns. The upsert keeps
    // a live override: the effective score stays the override until it expires.
    await this.dataSource.query(
      `WITH input AS (
             SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
               "tutorId" uuid, "scoredScore" real, band varchar, probabilities jsonb,
               "topFactors" jsonb, "modelVersion" varchar)
           ),
           before AS (SELECT r.tutor_id, r.band FROM tutor_risk r JOIN input i ON i."tutorId" = r.tutor_id),
           upserted AS (
             INSERT INTO tutor_risk AS r (tutor_id, churn_score, band, scored_score, probabilities,
               top_factors, model_version, as_of, scored_at)
             SELECT "tutorId", "scoredScore", band, "scoredScore", probabilities, "topFactors",
               "modelVersion", $2::date, $3 FROM input
             ON CONFLICT (tutor_id) DO UPDATE SET
               scored_score = excluded.scored_score, probabilities = excluded.probabilities,
               top_factors = excluded.top_factors, model_version = excluded.model_version,
               as_of = excluded.as_of, scored_at = excluded.scored_at,
               churn_score = CASE WHEN r.override_expires_at > $3 THEN r.override_score ELSE excluded.scored_score END,
               band = CASE WHEN r.override_expires_at > $3 THEN r.band ELSE excluded.band END,
               override_score = CASE WHEN r.override_expires_at > $3 THEN r.override_score END,
               override_reason = CASE WHEN r.override_expires_at > $3 THEN r.override_reason END,
               override_by_user_id = CASE WHEN r.override_expires_at > $3 THEN r.override_by_user_id END,
               override_expires_at = CASE WHEN r.override_expires_at > $3 THEN r.override_expires_at END
             RETURNING r.tutor_id, r.churn_score, r.band
           ),
           history AS (
             INSERT INTO tutor_risk_scores (tutor_id, as_of, churn_score, band, probabilities,
               top_factors, model_version, scored_at)
             SELECT "tutorId", $2::date, "scoredScore", band, probabilities, "topFactors",
               "modelVersion", $3 FROM input
           ),
           -- Insight latency: the records whose metrics update this score is the first to follow.
           stamped AS (
             UPDATE tutor_metrics_triggers mt SET risk_scored_at = clock_timestamp()
               FROM upserted u
              WHERE mt.tutor_id = u.tutor_id
                AND mt.metrics_updated_at IS NOT NULL AND mt.risk_scored_at IS NULL
           ),
           changed AS (
             SELECT u.tutor_id, u.churn_score, (b.band IS DISTINCT FROM u.band) AS band_changed
             FROM upserted u LEFT JOIN before b ON b.tutor_id = u.tutor_id
           ),
           stored AS (${outboxInsertSql(
             `SELECT e.id, $4::varchar, jsonb_build_object(
                       'tutorId', c.tutor_id, 'churnScore', c.churn_score, 'scoredAt', $5::text)
                FROM changed c JOIN unnest($6::uuid[], $7::uuid[]) AS e(tutor_id, id) ON e.tutor_id = c.tutor_id
               WHERE $8 OR c.band_changed`,
           )})
           SELECT ${outboxWakeSql('stored')}`,
      [
        JSON.stringify(results),
        asOf,
        now,
        RISK_SCORED_EVENT,
        scoredAt,
        results.map((r) => r.tutorId),
        results.map((r) => riskScoredEventId(r.tutorId, now)),
        emit === 'all',
      ],
    );
  }

  private riskScoredEvent(tutorId: string, churnScore: number, at: Date) {
    return {
      id: riskScoredEventId(tutorId, at),
      type: RISK_SCORED_EVENT,
      payload: { tutorId, churnScore, scoredAt: at.toISOString() },
    };
  }

  /**
   * Sets (or clears, with null) an operations manager's override. The effective score is the
   * override until it expires; the rule engine hears of it through tutor.risk-scored.
   */
  async setOverride(
    tutorId: string,
    override: { score: number; reason: string; expiresAt: Date; userId: string } | null,
    manager?: EntityManager,
  ): Promise<boolean> {
    const run = async (m: EntityManager) => {
      const now = this.clock.now();
      const rows = queryRows<{ churn_score: number }>(
        override
          ? await m.query(
              `UPDATE tutor_risk SET override_score = $2, override_reason = $3,
               override_expires_at = $4, override_by_user_id = $5, churn_score = $2,
               band = $6
             WHERE tutor_id = $1 RETURNING churn_score`,
              [
                tutorId,
                override.score,
                override.reason,
                override.expiresAt,
                override.userId,
                riskBandOf(override.score),
              ],
            )
          : await m.query(
              `UPDATE tutor_risk SET override_score = NULL, override_reason = NULL,
               override_expires_at = NULL, override_by_user_id = NULL,
               churn_score = scored_score,
               band = CASE WHEN scored_score > 75 THEN 'critical' WHEN scored_score > 50 THEN 'high'
                           WHEN scored_score > 25 THEN 'medium' ELSE 'low' END
             WHERE tutor_id = $1 RETURNING churn_score`,
              [tutorId],
            ),
      );
      if (!rows.length) return false;
      await this.outbox.append(m, [this.riskScoredEvent(tutorId, rows[0].churn_score, now)]);
      return true;
    };
    return manager ? run(manager) : this.dataSource.transaction(run);
  }

  /** Expired overrides fall back to the scored value (hourly and before each batch). */
  async expireOverrides(): Promise<number> {
    return this.dataSource.transaction(async (m) => {
      const rows = queryRows<{ tutor_id: string; churn_score: number }>(
        await m.query(
          `UPDATE tutor_risk SET override_score = NULL, override_reason = NULL,
           override_expires_at = NULL, override_by_user_id = NULL, churn_score = scored_score,
           band = CASE WHEN scored_score > 75 THEN 'critical' WHEN scored_score > 50 THEN 'high'
                       WHEN scored_score > 25 THEN 'medium' ELSE 'low' END
         WHERE override_expires_at <= $1 RETURNING tutor_id, churn_score`,
          [this.clock.now()],
        ),
      );
      const now = this.clock.now();
      await this.outbox.append(
        m,
        rows.map((r) => this.riskScoredEvent(r.tutor_id, r.churn_score, now)),
      );
      return rows.length;
    });
  }

  /**
   * Applies the churn labels as of today: a tutor who churned (inactivity, resignation or
   * decline) is marked `churned`, their stored risk removed from the active lists, and a
   * tutor.churned event closes their open interventions.
   */
  async markChurned(): Promise<{ churned: number }> {
    const horizon = this.asOf(this.clock.now());
    const labels = toLabels(await this.dataSource.query(CHURN_LABELS_SQL, [horizon, null]));
    const churned = labels.filter((l) => l.churnDay !== null);
    if (!churned.length) return { churned: 0 };
    return this.dataSource.transaction(async (m) => {
      const updated = queryRows<{ id: string }>(
        await m.query(
          `UPDATE tutors SET status = 'churned' WHERE id = ANY($1::uuid[]) AND status <> 'churned'
           RETURNING id`,
          [churned.map((c) => c.tutorId)],
        ),
      );
      const byId = new Map(churned.map((c) => [c.tutorId, c]));
      await this.outbox.append(
        m,
        updated.map(({ id }) => ({
          id: eventIdFor(`${TUTOR_CHURNED_EVENT}:${id}`),
          type: TUTOR_CHURNED_EVENT,
          payload: {
            tutorId: id,
            churnDay: byId.get(id)?.churnDay ?? null,
            reason: byId.get(id)?.reason ?? null,
          },
        })),
      );
      if (updated.length) this.logger.log(`${updated.length} tutors marked churned`);
      return { churned: updated.length };
    });
  }

  /** Drops the stored risk of a tutor who objected to profiling (history included). */
  async forgetTutor(tutorId: string, manager?: EntityManager): Promise<void> {
    const m = manager ?? this.dataSource.manager;
    await m.query('DELETE FROM tutor_risk WHERE tutor_id = $1', [tutorId]);
    await m.query('DELETE FROM tutor_risk_scores WHERE tutor_id = $1', [tutorId]);
  }
}

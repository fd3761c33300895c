import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DetailedHttpError } from '../common/error-body';
import { FEATURE_LABELS } from './churn-features';
import { FIRST_SESSION_FEATURES } from './first-session-features';
import type { PredictionModel } from './entities/prediction-model.entity';
import { RISK_BANDS } from './risk-bands';
import { WEIGHTED_COMPONENTS, WEIGHTED_MODEL_VERSION } from './weighted-score';

export interface TutorRiskView {
  tutorId: string;
  churnScore: number;
  band: string;
  scoredScore: number;
  probabilities: Record<string, number | null>;
  topFactors: { feature: string; label: string; value: number | null; contribution: number }[];
  modelVersion: string;
  asOf: string;
  scoredAt: string;
  override: { score: number; reason: string; expiresAt: string; byUserId: string | null } | null;
}

/** Read side of the prediction module, for the API, the pages and the dashboard. */
@Injectable()
export class PredictionQueryService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async risk(tutorId: string): Promise<TutorRiskView> {
    const [r] = await this.dataSource.query(
      `SELECT r.*, r.as_of::text AS as_of_text FROM tutor_risk r WHERE r.tutor_id = $1`,
      [tutorId],
    );
    if (!r) {
      const [t] = await this.dataSource.query(
        'SELECT profiling_objection FROM tutors WHERE id = $1',
        [tutorId],
      );
      if (!t) throw new DetailedHttpError(404, `tutor ${tutorId} does not exist`);
      throw new DetailedHttpError(
        404,
        t.profiling_objection
          ? 'this tutor objected to profiling, so they are not scored'
          : 'this tutor has not been scored yet',
      );
    }
    return {
      tutorId,
      churnScore: Math.round(r.churn_score),
      band: r.band,
      scoredScore: Math.round(r.scored_score),
      probabilities: r.probabilities,
      topFactors: r.top_factors,
      modelVersion: r.model_version,
      asOf: r.as_of_text,
      scoredAt: (r.scored_at as Date).toISOString(),
      override:
        r.override_score === null
          ? null
          : {
              score: Math.round(r.override_score),
              reason: r.override_reason,
              expiresAt: (r.override_expires_at as Date).toISOString(),
              byUserId: r.override_by_user_id,
            },
    };
  }

  async history(tutorId: string, limit = 90) {
    const rows = await this.dataSource.query(
      `SELECT as_of::text AS as_of, churn_score, band, probabilities, top_factors, model_version, scored_at
       FROM tutor_risk_scores WHERE tutor_id = $1 ORDER BY scored_at DESC LIMIT $2`,
      [tutorId, limit],
    );
    return {
      items: rows.map((r: Record<string, unknown>) => ({
        asOf: r.as_of,
        churnScore: Math.round(r.churn_score as number),
        band: r.band,
        probabilities: r.probabilities,
        topFactors: r.top_factors,
        modelVersion: r.model_version,
        scoredAt: (r.scored_at as Date).toISOString(),
      })),
    };
  }

  /** Tutors per band (effective scores), for the dashboard. */
  async distribution(): Promise<{ band: string; tutors: number }[]> {
    const rows: { band: string; n: number }[] = await this.dataSource.query(
      `SELECT r.band, count(*)::int AS n FROM tutor_risk r JOIN tutors t ON t.id = r.tutor_id
       WHERE t.status <> 'churned' GROUP BY r.band`,
    );
    return RISK_BANDS.map((band) => ({
      band,
      tutors: rows.find((r) => r.band === band)?.n ?? 0,
    }));
  }

  /** A model without its artifact (weights stay in the registry). */
  modelView(m: PredictionModel) {
    return {
      id: m.id,
      version: m.version,
      kind: m.kind,
      windowDays: m.windowDays,
      status: m.status,
      algorithm: m.algorithm,
      features: m.features,
      trainedFrom: m.trainedFrom,
      trainedTo: m.trainedTo,
      metrics: m.metrics,
      createdAt: m.createdAt.toISOString(),
      promotedAt: m.promotedAt?.toISOString() ?? null,
      retiredAt: m.retiredAt?.toISOString() ?? null,
    };
  }

  /** Plain-language description of what the churn score reads (for people and archives). */
  explanation() {
    return {
      fallback: {
        version: WEIGHTED_MODEL_VERSION,
        components: Object.entries(WEIGHTED_COMPONENTS).map(([name, c]) => ({
          name,
          label: c.label,
          weight: c.weight,
        })),
      },
      churnFeatures: Object.entries(FEATURE_LABELS).map(([name, label]) => ({ name, label })),
      firstSessionFeatures: FIRST_SESSION_FEATURES.map((f) => ({ name: f.name, label: f.label })),
    };
  }

  async upcomingFirstSessions(limit = 100) {
    const rows = await this.dataSource.query(
      `SELECT p.session_id, p.tutor_id, t.name AS tutor_name, p.scheduled_start, p.risk,
              p.top_factors, p.model_version, p.alert_queued_at
       FROM first_session_predictions p JOIN tutors t ON t.id = p.tutor_id
       WHERE p.scheduled_start >= now() ORDER BY p.risk DESC, p.scheduled_start LIMIT $1`,
      [limit],
    );
    return {
      items: rows.map((r: Record<string, unknown>) => ({
        sessionId: r.session_id,
        tutorId: r.tutor_id,
        tutorName: r.tutor_name,
        scheduledStart: (r.scheduled_start as Date).toISOString(),
        risk: r.risk,
        topFactors: r.top_factors,
        modelVersion: r.model_version,
        preparationEmailQueuedAt: (r.alert_queued_at as Date | null)?.toISOString() ?? null,
      })),
    };
  }
}

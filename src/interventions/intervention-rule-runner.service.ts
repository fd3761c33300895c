import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { DetailedHttpError } from '../common/error-body';
import type { PerformanceTier } from '../performance/performance.constants';
import { InterventionConfigService } from './intervention-config.service';
import { InterventionType, InterventionStatus, OPEN_STATUSES } from './intervention.constants';
import {
  evaluateRules,
  ExistingIntervention,
  RuleEvaluation,
  TutorState,
} from './intervention-rules';
import { InterventionsService, SYSTEM } from './interventions.service';
import { Intervention } from './entities/intervention.entity';

const DAY_MS = 86_400_000;

/** A rule run that evaluated nothing, and why. */
const skipped = (reason: string): RuleEvaluation => ({
  skipped: reason,
  create: [],
  refresh: [],
  dropped: [],
});
/** Advisory-lock namespace: one rule run per tutor at a time. */
const RULES_LOCK = 4_180_502;

interface StateRow {
  id: string;
  onboarding_date: string;
  tier: PerformanceTier | null;
  sessions_completed: number | null;
  avg_rating: number | null;
  first_session_success_rate: number | null;
  reschedule_rate: number | null;
  engagement_score: number | null;
  avg_rating_7: number | null;
  engagement_7: number | null;
  completed_7: number | null;
  /** The prediction module's current (effective) churn score, when scored. */
  churn_score: number | null;
}

/**
 * Feeds the rule engine: builds tutors' states from the performance
 * snapshots in one set-based query, runs the rules, and applies the result
 * (create, or refresh the evidence of an open one) under a per-tutor lock.
 */
@Injectable()
export class InterventionRuleRunner {
  private readonly logger = new Logger('InterventionRules');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: InterventionConfigService,
    private readonly interventions: InterventionsService,
    private readonly clock: Clock,
  ) {}

  /** States of the given active tutors (all active tutors when `ids` is null). */
  async states(
    ids: string[] | null,
    churnScores: Map<string, number> = new Map(),
  ): Promise<TutorState[]> {
    const filter = ids ? 'AND tutor_id = ANY($1)' : '';
    const rows: StateRow[] = await this.dataSource.query(
      `WITH s30 AS (
         SELECT DISTINCT ON (tutor_id) * FROM tutor_metric_snapshots
          WHERE window_days = 30 ${filter} ORDER BY tutor_id, snapshot_date DESC),
       s7 AS (
         SELECT DISTINCT ON (tutor_id) * FROM tutor_metric_snapshots
          WHERE window_days = 7 ${filter} ORDER BY tutor_id, snapshot_date DESC)
       SELECT t.id, t.onboarding_date::text AS onboarding_date, pt.tier,
              s30.sessions_completed, s30.avg_rating, s30.first_session_success_rate,
              s30.reschedule_rate, s30.engagement_score,
              s7.avg_rating AS avg_rating_7, s7.engagement_score AS engagement_7,
              s7.sessions_completed AS completed_7, tr.churn_score
         FROM tutors t
         LEFT JOIN s30 ON s30.tutor_id = t.id
         LEFT JOIN s7 ON s7.tutor_id = t.id
         LEFT JOIN tutor_performance_tiers pt ON pt.tutor_id = t.id
         LEFT JOIN tutor_risk tr ON tr.tutor_id = t.id
        WHERE t.status = 'active' ${ids ? 'AND t.id = ANY($1)' : ''}
        ORDER BY t.id`,
      ids ? [ids] : [],
    );
    const now = this.clock.now().getTime();
    // The event's score when there is one, else the stored one (the nightly batch).
    return rows.map((r) =>
      stateOf(
        r,
        now,
        churnScores.get(r.id) ?? (r.churn_score === null ? null : Math.round(r.churn_score)),
      ),
    );
  }

  /**
   * Runs the rules for one tutor; `churnScore` comes with a tutor.risk-scored event.
   * `metrics` (a metrics update) runs the metric rules, except for a tutor the prediction
   * module scores: it scores the tutor after every metrics update, and the
   * tutor.risk-scored that follows runs every rule on the same metrics. So a tutor who
   * objected to profiling, or was never scored (no model input yet), gets the metric rules
   * at once. (Should that scoring fail for good, the nightly run catches up.)
   */
  async runForTutor(
    tutorId: string,
    scope: 'all' | 'metrics',
    churnScore: number | null = null,
  ): Promise<RuleEvaluation> {
    if (scope === 'metrics') {
      // A tutor the prediction module scores (scored before and not objecting to profiling)
      // is scored again after this update, and that score's event runs every rule.
      const [{ scored }]: { scored: boolean }[] = await this.dataSource.query(
        `SELECT EXISTS (SELECT 1 FROM tutor_risk r JOIN tutors t ON t.id = r.tutor_id
                         WHERE r.tutor_id = $1 AND NOT t.profiling_objection) AS scored`,
        [tutorId],
      );
      if (scored) return skipped('the churn score that follows this update runs every rule');
    }
    const [state] = await this.states(
      [tutorId],
      churnScore === null ? new Map() : new Map([[tutorId, churnScore]]),
    );
    if (!state) {
      const exists: unknown[] = await this.dataSource.query('SELECT 1 FROM tutors WHERE id = $1', [
        tutorId,
      ]);
      if (!exists.length) throw new DetailedHttpError(404, `no tutor with id ${tutorId}`);
      return skipped('the tutor is not active');
    }
    return this.apply(state, scope);
  }

  /** The nightly batch: every active tutor, states read in one query per 1,000. */
  async runNightly(): Promise<{ tutors: number; created: number; refreshed: number }> {
    const all = await this.states(null);
    let created = 0;
    let refreshed = 0;
    for (const state of all) {
      const r = await this.apply(state, 'all');
      created += r.create.length;
      refreshed += r.refresh.length;
    }
    this.logger.log(
      `nightly rules: ${all.length} tutors, ${created} created, ${refreshed} refreshed`,
    );
    return { tutors: all.length, created, refreshed };
  }

  private async apply(state: TutorState, scope: 'all' | 'metrics'): Promise<RuleEvaluation> {
    const now = this.clock.now();
    const { document } = await this.config.rules();
    const createdIvs: Intervention[] = [];
    const result = await this.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [RULES_LOCK, state.tutorId]);
      const rows: {
        id: string;
        type: InterventionType;
        status: InterventionStatus;
        created_at: Date;
      }[] = await m.query(
        `SELECT id, type, status, created_at FROM interventions
            WHERE tutor_id = $1 AND (status = ANY($2) OR created_at > $3)`,
        [
          state.tutorId,
          OPEN_STATUSES,
          new Date(now.getTime() - document.sameTypeCooldownDays * DAY_MS),
        ],
      );
      const existing: ExistingIntervention[] = rows.map((r) => ({
        id: r.id,
        type: r.type,
        status: r.status,
        createdAt: r.created_at,
      }));
      const evaluation = evaluateRules(state, document, existing, now, scope);
      for (const firing of evaluation.create) {
        createdIvs.push(
          await this.interventions.create(
            {
              tutorId: state.tutorId,
              type: firing.type,
              priority: firing.priority,
              reason: firing.reason,
              ruleId: firing.ruleId,
              evidence: { ...firing.evidence, evaluatedAt: now.toISOString() },
            },
            SYSTEM,
            m,
          ),
        );
      }
      for (const r of evaluation.refresh)
        await this.interventions.refreshEvidence(r.interventionId, r, m);
      return evaluation;
    });
    for (const iv of createdIvs) await this.interventions.afterCommit(iv);
    return result;
  }
}

export function stateOf(r: StateRow, now: number, churnScore: number | null): TutorState {
  const engagement = r.engagement_score === null ? null : r.engagement_score / 100;
  const engagement7 = r.engagement_7 === null ? null : r.engagement_7 / 100;
  const completed30 = r.sessions_completed ?? 0;
  return {
    tutorId: r.id,
    churnScore,
    tier: r.tier,
    tenureDays: Math.floor((now - Date.parse(`${r.onboarding_date}T00:00:00Z`)) / DAY_MS),
    sessionsCompleted: completed30,
    avgRating: r.avg_rating,
    firstSessionSuccessRate: r.first_session_success_rate,
    rescheduleRate: r.reschedule_rate,
    engagement,
    ratingDecline:
      r.avg_rating !== null && r.avg_rating_7 !== null ? r.avg_rating - r.avg_rating_7 : null,
    engagementDecline:
      engagement !== null && engagement7 !== null ? engagement - engagement7 : null,
    sessionVolumeDecline:
      completed30 > 0 && r.completed_7 !== null ? 1 - r.completed_7 / 7 / (completed30 / 30) : null,
  };
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { queryRows } from '../common/query-rows';
import { CATEGORIES } from '../notifications/notification-links';
import { NotificationsService } from '../notifications/notifications.service';
import { Student } from '../tutoring/entities/student.entity';
import { fillMissing } from './churn-features';
import { FIRST_SESSION_FEATURES, FIRST_SESSION_SQL } from './first-session-features';
import { firstSessionTips } from './first-session-tips';
import { LogisticArtifact, explainLogistic } from './logistic-model';
import { auc, brier } from './model-metrics';
import { ModelRegistryService } from './model-registry.service';
import { SUBJECT_PARAMS, firstSessionValues } from './training-pipeline';
import type { RiskFactor } from './entities/tutor-risk.entity';

/** The preparation email goes to the tutor when the risk is at least this (DOMAIN.md §5). */
export const PREP_EMAIL_THRESHOLD = 0.5;
const HOUR = 3_600_000;

/** Heuristic risk used before a first-session model is trained (0–1). */
function heuristicRisk(f: Record<string, number | null>): number {
  let risk = 0.2;
  const rate = f.prior_first_success_rate;
  if (rate !== null && rate < 0.7) risk += 0.2;
  if ((f.prior_no_show_rate ?? 0) > 0.1) risk += 0.15;
  if ((f.prior_engagement ?? 1) < 0.6) risk += 0.15;
  if ((f.tenure_days ?? 999) < 30) risk += 0.1;
  return Math.min(0.95, risk);
}

/**
 * First-session risk: each upcoming first session is scored when it is stored and by the
 * hourly 24-hour look-ahead; a tutor whose session has risk ≥ 0.5 gets the preparation email
 * once. Outcomes are recorded when feedback (or a no-show) arrives; weekly, the real AUC of
 * the active model on the last 30 days is stored in the registry.
 */
@Injectable()
export class FirstSessionService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: ModelRegistryService,
    private readonly notifications: NotificationsService,
    private readonly clock: Clock,
  ) {}

  /** Scores the given sessions (or every upcoming first session in the next `hours`). */
  async score(
    sessionIds: string[] | null,
    hours = 24,
  ): Promise<{ scored: number; alerts: number }> {
    const now = this.clock.now();
    if (sessionIds) {
      // Most recorded sessions are not upcoming first sessions: a primary-key look-up rules
      // them out before the feature statement reads the tutor's whole history.
      const upcomingIds: { id: string }[] = await this.dataSource.query(
        `SELECT id FROM sessions WHERE id = ANY($1::uuid[]) AND session_number = 1
           AND scheduled_start > $2`,
        [sessionIds, now],
      );
      if (!upcomingIds.length) return { scored: 0, alerts: 0 };
      sessionIds = upcomingIds.map((r) => r.id);
    }
    const from = sessionIds ? new Date(now.getTime() - 365 * 24 * HOUR) : now;
    const to = new Date(now.getTime() + (sessionIds ? 366 * 24 : hours) * HOUR);
    const rows = await this.dataSource.query(FIRST_SESSION_SQL, [
      from,
      to,
      sessionIds,
      ...SUBJECT_PARAMS,
      null,
    ]);
    const upcoming = (rows as Record<string, unknown>[]).filter(
      (r) => new Date(r.scheduled_start as Date) > now && r.failed === null,
    );
    if (!upcoming.length) return { scored: 0, alerts: 0 };
    const model = await this.registry.activeOf('first_session', 0);
    const artifact = model ? (model.artifact as unknown as LogisticArtifact) : null;
    let alerts = 0;
    for (const r of upcoming) {
      const values = firstSessionValues(r);
      let risk: number;
      let factors: RiskFactor[];
      if (artifact) {
        const vector = fillMissing(values, artifact.medians, FIRST_SESSION_FEATURES);
        const explained = explainLogistic(artifact, vector);
        risk = explained.probability;
        factors = explained.contributions
          .map((c, j) => ({
            feature: artifact.features[j],
            label: FIRST_SESSION_FEATURES[j]?.label ?? artifact.features[j],
            value: values[artifact.features[j]] ?? null,
            contribution: Math.round(c * 1000) / 1000,
          }))
          .filter((f) => f.contribution > 0)
          .sort((a, b) => b.contribution - a.contribution)
          .slice(0, 5);
      } else {
        risk = heuristicRisk(values);
        factors = [];
      }
      const sessionId = String(r.session_id);
      const stored: { alert_queued_at: Date | null }[] = await this.dataSource.query(
        `INSERT INTO first_session_predictions (session_id, tutor_id, student_id, scheduled_start,
           risk, top_factors, model_version, scored_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (session_id) DO UPDATE SET risk = excluded.risk,
           top_factors = excluded.top_factors, model_version = excluded.model_version,
           scored_at = excluded.scored_at, scheduled_start = excluded.scheduled_start
         RETURNING alert_queued_at`,
        [
          sessionId,
          r.tutor_id,
          r.student_id,
          r.scheduled_start,
          Math.round(risk * 1e4) / 1e4,
          JSON.stringify(factors),
          model?.version ?? 'heuristic-v1',
          now,
        ],
      );
      if (risk >= PREP_EMAIL_THRESHOLD && !stored[0]?.alert_queued_at) {
        if (await this.sendPrep(sessionId, values, risk)) alerts++;
      }
    }
    return { scored: upcoming.length, alerts };
  }

  private async sendPrep(
    sessionId: string,
    values: Record<string, number | null>,
    risk: number,
  ): Promise<boolean> {
    const [s]: {
      tutor_id: string;
      tutor_name: string;
      tutor_email: string;
      subject: string;
      scheduled_start: Date;
      student_id: string;
    }[] = await this.dataSource.query(
      `SELECT s.tutor_id, t.name AS tutor_name, t.email AS tutor_email, s.subject,
              s.scheduled_start, s.student_id
       FROM sessions s JOIN tutors t ON t.id = s.tutor_id
       WHERE s.id = $1 AND t.status = 'active'`,
      [sessionId],
    );
    if (!s) return false;
    const student = await this.dataSource.getRepository(Student).findOneBy({ id: s.student_id });
    return this.dataSource.transaction(async (m) => {
      const result = await this.notifications.notify(
        {
          workflow: 'first-session-prep',
          entityKey: sessionId,
          category: CATEGORIES.tutorTips,
          template: 'first-session-prep',
          to: { kind: 'tutor', id: s.tutor_id, email: s.tutor_email },
          context: {
            recipientName: s.tutor_name,
            studentName: (student?.name ?? 'your student').split(' ')[0],
            studentAge:
              values.student_age === null ? 'of unknown age' : `${values.student_age} years old`,
            subject: s.subject,
            sessionDate: s.scheduled_start.toISOString().slice(0, 16).replace('T', ' '),
            important: risk >= 0.7,
            tips: firstSessionTips(values, s.subject),
          },
        },
        m,
      );
      await m.query(
        'UPDATE first_session_predictions SET alert_queued_at = $2 WHERE session_id = $1',
        [sessionId, this.clock.now()],
      );
      return result.created;
    });
  }

  /** Records outcomes of predicted first sessions: success is a rating of 4 or more. */
  async recordOutcomes(sessionIds: string[] | null): Promise<number> {
    const result: unknown = await this.dataSource.query(
      `UPDATE first_session_predictions p
         SET outcome_success = CASE WHEN s.status = 'no_show' THEN false ELSE f.overall_rating >= 4 END,
             outcome_recorded_at = $2
       FROM sessions s LEFT JOIN student_feedback f ON f.session_id = s.id
       WHERE s.id = p.session_id AND p.outcome_success IS NULL
         AND ($1::uuid[] IS NULL OR p.session_id = ANY($1::uuid[]))
         AND (s.status = 'no_show' OR f.overall_rating IS NOT NULL)
       RETURNING p.session_id`,
      [sessionIds, this.clock.now()],
    );
    return queryRows(result).length;
  }

  /** Real AUC of the active first-session model over the last 30 days' outcomes. */
  async evaluate(): Promise<Record<string, unknown> | null> {
    const model = await this.registry.activeOf('first_session', 0);
    if (!model) return null;
    await this.recordOutcomes(null);
    const rows: { risk: number; outcome_success: boolean }[] = await this.dataSource.query(
      `SELECT risk, outcome_success FROM first_session_predictions
       WHERE model_version = $1 AND outcome_success IS NOT NULL
         AND scheduled_start >= $2::timestamptz - interval '30 days'`,
      [model.version, this.clock.now()],
    );
    const p = rows.map((r) => Number(r.risk));
    const y = rows.map((r) => (r.outcome_success ? 0 : 1));
    const live = {
      evaluatedAt: this.clock.now().toISOString(),
      outcomes: rows.length,
      auc: rows.length >= 10 ? auc(p, y) : null,
      brier: rows.length ? Math.round(brier(p, y) * 1e4) / 1e4 : null,
      note: rows.length < 10 ? 'fewer than 10 outcomes: AUC not computed' : undefined,
    };
    await this.registry.recordLiveEvaluation(model.id, live);
    return live;
  }
}

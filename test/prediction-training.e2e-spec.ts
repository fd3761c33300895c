import { FieldCipher } from '../src/security/field-cipher';
import { ChurnScoringService } from '../src/prediction/churn-scoring.service';
import {
  FEATURES_SQL,
  FeatureRow,
  SCORING_FEATURES_SQL,
  featureParams,
  toFeatureRows,
} from '../src/prediction/churn-features';
import { CHURN_LABELS_SQL, toLabels } from '../src/prediction/churn-labels';
import { FirstSessionService } from '../src/prediction/first-session.service';
import { ModelRegistryService } from '../src/prediction/model-registry.service';
import { riskBandOf } from '../src/prediction/risk-bands';
import { TrainingService } from '../src/prediction/training.service';
import { auc } from '../src/prediction/model-metrics';
import { SyntheticDataService } from '../src/tutoring/synthetic/synthetic-data.service';
import { startTestApp, TestApp } from './helpers/test-app';

const DAY = 86_400_000;
const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Churn labels, features, the weighted fallback, training in a child process, the registry's
 * promotion rule and model-based scores, on 300 synthetic tutors over 90 days (ROLE=web:
 * nothing else runs while the tables are inspected).
 */
/** Same tutors, same features (sums in another order may differ in the last bits of a double). */
function expectSameFeatures(actual: FeatureRow[], expected: FeatureRow[]) {
  expect(actual.map((r) => r.tutor_id).sort()).toEqual(expected.map((r) => r.tutor_id).sort());
  const byTutor = new Map(expected.map((r) => [r.tutor_id, r.values]));
  for (const row of actual) {
    const want = byTutor.get(row.tutor_id)!;
    for (const [name, value] of Object.entries(row.values)) {
      const w = want[name];
      if (value === null || w === null) expect([name, value]).toEqual([name, w]);
      else
        expect([name, Math.abs(value - w) <= 1e-9 * Math.max(1, Math.abs(w))]).toEqual([
          name,
          true,
        ]);
    }
  }
}

describe('churn prediction on synthetic data', () => {
  let t: TestApp;
  const todayMs = Math.floor(Date.now() / DAY) * DAY;
  const tomorrow = dateOf(todayMs + DAY);

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web' });
    await new SyntheticDataService(t.dataSource, t.app.get(FieldCipher)).load({
      tutors: 300,
      days: 90,
      seed: 11,
      nodeEnv: 'test',
    });
  }, 180_000);
  afterAll(() => t.close());

  const labels = async () => toLabels(await t.dataSource.query(CHURN_LABELS_SQL, [tomorrow, null]));

  it('labels churn from the data: inactivity after the last session, resignation events, never the archetype', async () => {
    const all = await labels();
    const churned = all.filter((l) => l.churnDay !== null);
    expect(churned.length).toBeGreaterThan(3);
    for (const l of churned) {
      if (l.reason === 'inactivity') {
        const [{ last }] = await t.dataSource.query(
          `SELECT max(scheduled_start)::date::text AS last FROM sessions
           WHERE tutor_id = $1 AND status = 'completed'`,
          [l.tutorId],
        );
        // The churn day is the day after the last session, and 14+ quiet days have passed.
        expect(dateOf(Date.parse(last) + DAY)).toBe(l.churnDay);
        expect(todayMs - Date.parse(l.churnDay!)).toBeGreaterThanOrEqual(14 * DAY);
      } else if (l.reason === 'resignation') {
        const [{ day }] = await t.dataSource.query(
          `SELECT min(occurred_at)::date::text AS day FROM tutor_events
           WHERE tutor_id = $1 AND event_type = 'resignation'`,
          [l.tutorId],
        );
        expect(day).toBe(l.churnDay);
      }
    }
    const byArchetype: { behavioral_archetype: string; n: number }[] = await t.dataSource.query(
      `SELECT behavioral_archetype, count(*)::int AS n FROM tutors WHERE id = ANY($1::uuid[]) GROUP BY 1`,
      [churned.map((c) => c.tutorId)],
    );
    // The generator's churners are the ones whose data shows it; steady tutors do not churn.
    expect(byArchetype.find((r) => r.behavioral_archetype === 'churner')?.n).toBeGreaterThan(3);
    expect(byArchetype.find((r) => r.behavioral_archetype === 'high_performer')).toBeUndefined();
  });

  it('reads nothing on or after the as-of date: later sessions and feedback change no feature', async () => {
    const [{ id }] = await t.dataSource.query(
      `SELECT id FROM tutors WHERE status = 'active' ORDER BY external_id LIMIT 1`,
    );
    const asOf = dateOf(todayMs - 20 * DAY);
    const before = toFeatureRows(
      await t.dataSource.query(FEATURES_SQL, featureParams([asOf], [id])),
    );
    await t.dataSource.query(
      `INSERT INTO sessions (external_id, tutor_id, student_id, session_number, scheduled_start,
         duration_minutes, subject, status, engagement_score, late_start_minutes, tutor_initiated_reschedule)
       SELECT 'leak-probe', $1, student_id, 99, $2::date + interval '1 hour', 60, 'Algebra',
         'no_show', 0.01, 30, true
       FROM sessions WHERE tutor_id = $1 LIMIT 1`,
      [id, asOf],
    );
    const after = toFeatureRows(
      await t.dataSource.query(FEATURES_SQL, featureParams([asOf], [id])),
    );
    const afterScoring = toFeatureRows(
      await t.dataSource.query(SCORING_FEATURES_SQL, featureParams([asOf], [id])),
    );
    await t.dataSource.query(`DELETE FROM sessions WHERE external_id = 'leak-probe'`);
    expect(after).toEqual(before);
    expectSameFeatures(afterScoring, before);
    expect(before[0].values.sessions_30d).toBeGreaterThan(0);
  });

  it('scores from the same features it trains on: the one-date statement equals the per-day one for every tutor', async () => {
    const asOf = dateOf(todayMs - 10 * DAY);
    const perDay = toFeatureRows(
      await t.dataSource.query(FEATURES_SQL, featureParams([asOf], null)),
    );
    const forScoring = toFeatureRows(
      await t.dataSource.query(SCORING_FEATURES_SQL, featureParams([asOf], null)),
    );
    expect(perDay.length).toBeGreaterThan(10);
    expectSameFeatures(forScoring, perDay);
    // The windows differ, so the grain is really exercised (not four copies of one number).
    // Not the first tutor with sessions: one whose sessions all fall in the last week has
    // equal counts, which depends on the day the data is generated.
    const widerWindow = forScoring.filter(
      (r) => (r.values.sessions_90d ?? 0) > (r.values.sessions_7d ?? 0),
    );
    expect(widerWindow.length).toBeGreaterThan(0);
  });

  it('gives every tutor the PRD weighted score before any model is trained, with its own top factors', async () => {
    const scoring = t.app.get(ChurnScoringService);
    const result = await scoring.score(null);
    expect(result.modelVersion).toBe('weighted-v1');
    const rows: {
      churn_score: number;
      band: string;
      probabilities: Record<string, number | null>;
      top_factors: { feature: string; contribution: number }[];
      behavioral_archetype: string;
    }[] = await t.dataSource.query(
      `SELECT r.churn_score, r.band, r.probabilities, r.top_factors, t.behavioral_archetype
       FROM tutor_risk r JOIN tutors t ON t.id = r.tutor_id`,
    );
    expect(rows.length).toBe(result.scored);
    for (const r of rows) {
      expect(r.churn_score).toBeGreaterThanOrEqual(0);
      expect(r.churn_score).toBeLessThanOrEqual(100);
      expect(r.band).toBe(riskBandOf(r.churn_score));
      expect(Object.values(r.probabilities)).toEqual([null, null, null, null]);
    }
    const mean = (a: string) => {
      const s = rows.filter((r) => r.behavioral_archetype === a).map((r) => r.churn_score);
      return s.reduce((x, y) => x + y, 0) / s.length;
    };
    expect(mean('churner')).toBeGreaterThan(mean('high_performer') + 15);
    // Per-tutor factors, not one global list.
    const orders = new Set(rows.map((r) => r.top_factors.map((f) => f.feature).join(',')));
    expect(orders.size).toBeGreaterThan(3);
    const [{ history }] = await t.dataSource.query(
      'SELECT count(*)::int AS history FROM tutor_risk_scores',
    );
    expect(history).toBe(result.scored);
  });

  it('trains in a child process, promotes the 30-day model, and scores from it with per-tutor factors', async () => {
    const training = t.app.get(TrainingService);
    const run = await training.createRun('test');
    const summary = await training.run(run.id);
    expect(summary.peakRssMb).toBeGreaterThan(20);
    const thirty = summary.decisions.find((d) => d.kind === 'churn' && d.windowDays === 30);
    expect(thirty).toMatchObject({ status: 'active', reason: 'no active model' });
    const first = summary.decisions.find((d) => d.kind === 'first_session');
    expect(first?.status).toBe('active');
    const stored = await t.dataSource.query(
      `SELECT status, progress, peak_rss_mb FROM training_runs WHERE id = $1`,
      [run.id],
    );
    expect(stored[0]).toMatchObject({ status: 'completed', progress: 100 });

    const model = await t.app.get(ModelRegistryService).activeOf('churn', 30);
    const metrics = model!.metrics as {
      test: { auc: number; brier: number; rows: number };
      split: { train: string[]; validation: string[]; test: string[] };
    };
    expect(metrics.test.auc).toBeGreaterThan(0.8);
    expect(metrics.test.brier).toBeLessThan(0.15);
    // Temporal split: every training date precedes every validation date, which precede the test dates.
    expect(metrics.split.train.at(-1)! < metrics.split.validation[0]).toBe(true);
    expect(metrics.split.validation.at(-1)! < metrics.split.test[0]).toBe(true);

    const result = await t.app.get(ChurnScoringService).score(null);
    expect(result.modelVersion).toBe(model!.version);
    const rows: {
      churn_score: number;
      probabilities: Record<string, number | null>;
      top_factors: { feature: string }[];
    }[] = await t.dataSource.query(
      'SELECT churn_score, probabilities, top_factors FROM tutor_risk',
    );
    for (const r of rows) {
      expect(r.churn_score).toBe(Math.round((r.probabilities['30d'] as number) * 100));
    }
    expect(new Set(rows.map((r) => r.top_factors[0]?.feature)).size).toBeGreaterThan(1);
  }, 300_000);

  it('keeps a retrained model as a candidate when it does not beat the active one on validation', async () => {
    const training = t.app.get(TrainingService);
    const summary = await training.run((await training.createRun('test')).id);
    const thirty = summary.decisions.find((d) => d.kind === 'churn' && d.windowDays === 30)!;
    // Same data, same fit: equal validation AUC is not better.
    expect(thirty.status).toBe('candidate');
    expect(thirty.reason).toMatch(/does not beat the active model/);
    const active = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM prediction_models WHERE kind = 'churn' AND window_days = 30 AND status = 'active'`,
    );
    expect(active[0].n).toBe(1);
  }, 300_000);

  it('stores the real AUC of the first-session model from recorded outcomes', async () => {
    const model = await t.app.get(ModelRegistryService).activeOf('first_session', 0);
    const sessions: { id: string; tutor_id: string; student_id: string }[] =
      await t.dataSource.query(
        `SELECT id, tutor_id, student_id FROM sessions WHERE session_number = 1 LIMIT 20`,
      );
    const risks = sessions.map((_, i) => (i % 10) / 10 + 0.05);
    const failed = sessions.map((_, i) => (i % 10 >= 6 || i === 3 ? 1 : 0));
    for (const [i, s] of sessions.entries()) {
      await t.dataSource.query(
        `INSERT INTO first_session_predictions (session_id, tutor_id, student_id, scheduled_start,
           risk, top_factors, model_version, scored_at, outcome_success, outcome_recorded_at)
         VALUES ($1, $2, $3, now() - interval '2 days', $4, '[]', $5, now(), $6, now())
         ON CONFLICT (session_id) DO UPDATE SET risk = excluded.risk,
           model_version = excluded.model_version, outcome_success = excluded.outcome_success,
           scheduled_start = excluded.scheduled_start`,
        [s.id, s.tutor_id, s.student_id, risks[i], model!.version, failed[i] === 0],
      );
    }
    const live = await t.app.get(FirstSessionService).evaluate();
    expect(live).toMatchObject({ outcomes: 20, auc: auc(risks, failed) });
    const [{ metrics }] = await t.dataSource.query(
      'SELECT metrics FROM prediction_models WHERE id = $1',
      [model!.id],
    );
    expect(metrics.live.auc).toBeCloseTo(auc(risks, failed)!, 6);
  });

  it('does not score a tutor who objected to profiling, and forgets their stored risk', async () => {
    const [{ id }] = await t.dataSource.query(
      `SELECT tutor_id AS id FROM tutor_risk ORDER BY tutor_id LIMIT 1`,
    );
    await t.dataSource.query('UPDATE tutors SET profiling_objection = true WHERE id = $1', [id]);
    const scoring = t.app.get(ChurnScoringService);
    await scoring.forgetTutor(id);
    expect((await scoring.score([id])).scored).toBe(0);
    const rows = await t.dataSource.query('SELECT 1 FROM tutor_risk WHERE tutor_id = $1', [id]);
    expect(rows).toEqual([]);
  });

  it('marks labelled tutors churned and announces it so their interventions close', async () => {
    const labelled = (await labels()).filter((l) => l.churnDay !== null).map((l) => l.tutorId);
    const [{ expected }] = await t.dataSource.query(
      `SELECT count(*)::int AS expected FROM tutors WHERE id = ANY($1::uuid[]) AND status <> 'churned'`,
      [labelled],
    );
    expect(expected).toBeGreaterThan(0);
    const { churned } = await t.app.get(ChurnScoringService).markChurned();
    expect(churned).toBe(expected);
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM outbox_events WHERE event_type = 'tutor.churned'`,
    );
    expect(n).toBe(expected);
    expect((await t.app.get(ChurnScoringService).markChurned()).churned).toBe(0);
  });
});

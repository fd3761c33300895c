import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryRunner } from 'typeorm';
import { Clock } from '../common/clock';
import { eventIdFor } from '../workers/event-id';
import { OutboxService } from '../workers/outbox.service';
import { flagMetricsOf, SnapshotRow, SNAPSHOT_COLUMNS, upsertAllSnapshots } from './metrics-sql';
import { assess, placeTiers, tierCeiling } from './performance-tiers';
import { PerformanceTier, WINDOW_DAYS } from './performance.constants';
import { utcDate } from './tutor-evaluation.service';

export const TIER_CHANGED_EVENT = 'tutor.tier-changed';
const DAY_MS = 86_400_000;

export interface NightlyEvaluationSummary {
  snapshotDate: string;
  snapshots: number;
  rated: number;
  tierChanges: number;
  metricsMs: number;
  totalMs: number;
}

/**
 * The nightly batch: every tutor's metrics for the day that just ended, in one
 * set-based statement, then tiers by population share for the whole rated
 * population at once. Safe to run again for the same day (upserts, and tier
 * events whose ids derive from tutor and day).
 */
@Injectable()
export class NightlyEvaluationService {
  private readonly logger = new Logger('NightlyEvaluation');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
  ) {}

  /** `snapshotDate` (YYYY-MM-DD) defaults to yesterday (UTC). */
  async run(snapshotDate?: string): Promise<NightlyEvaluationSummary> {
    const started = Date.now();
    const day = snapshotDate
      ? new Date(`${snapshotDate.slice(0, 10)}T00:00:00Z`)
      : new Date(Math.floor(this.clock.now().getTime() / DAY_MS) * DAY_MS - DAY_MS);
    const date = utcDate(day);
    const ref = new Date(day.getTime() + DAY_MS);

    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      // The aggregate hashes a day of feedback per tutor; keep it in memory.
      await runner.query(`SET LOCAL work_mem = '256MB'`);
      const snapshots = await upsertAllSnapshots(runner, ref, date);
      const metricsMs = Date.now() - started;
      const { rated, changes } = await this.placeTiers(runner, date);
      await runner.commitTransaction();
      const summary = {
        snapshotDate: date,
        snapshots,
        rated,
        tierChanges: changes,
        metricsMs,
        totalMs: Date.now() - started,
      };
      this.logger.log(
        `${date}: ${snapshots} snapshots, ${rated} tutors placed, ${changes} tier changes in ${summary.totalMs} ms`,
      );
      return summary;
    } catch (error) {
      await runner.rollbackTransaction();
      throw error;
    } finally {
      await runner.release();
    }
  }

  private async placeTiers(
    runner: QueryRunner,
    date: string,
  ): Promise<{ rated: number; changes: number }> {
    const rows: SnapshotRow[] = await runner.query(
      `SELECT ${SNAPSHOT_COLUMNS} FROM tutor_metric_snapshots
       WHERE snapshot_date = $1 AND window_days = $2`,
      [date, WINDOW_DAYS['30day']],
    );
    const assessed = rows.map((row) => ({ row, ...assess(flagMetricsOf(row)) }));
    const tiers = placeTiers(
      assessed
        .filter((a) => a.rated)
        .map((a) => ({ tutorId: a.row.tutor_id, score: a.score!, ceiling: tierCeiling(a.flags) })),
    );

    // Tutors placed before who have no snapshot today become unrated.
    const stale: { tutor_id: string }[] = await runner.query(
      `SELECT tutor_id FROM tutor_performance_tiers t
       WHERE t.tier IS NOT NULL AND t.evaluated_for < $1
         AND NOT EXISTS (SELECT 1 FROM tutor_metric_snapshots s
                         WHERE s.tutor_id = t.tutor_id AND s.snapshot_date = $1 AND s.window_days = $2)`,
      [date, WINDOW_DAYS['30day']],
    );

    const ids = assessed.map((a) => a.row.tutor_id);
    const tierOf = (id: string): PerformanceTier | null => tiers.get(id) ?? null;
    await runner.query(
      `UPDATE tutor_metric_snapshots s
       SET green_flags = u.green, red_flags = u.red, performance_score = u.score, performance_tier = u.tier
       FROM unnest($1::uuid[], $2::smallint[], $3::smallint[], $4::real[], $5::varchar[])
         AS u(id, green, red, score, tier)
       WHERE s.id = u.id`,
      [
        assessed.map((a) => a.row.id),
        assessed.map((a) => a.flags.green),
        assessed.map((a) => a.flags.red),
        assessed.map((a) => a.score),
        assessed.map((a) => tierOf(a.row.tutor_id)),
      ],
    );

    const all = [...ids, ...stale.map((s) => s.tutor_id)];
    const green = [...assessed.map((a) => a.flags.green), ...stale.map(() => 0)];
    const red = [...assessed.map((a) => a.flags.red), ...stale.map(() => 0)];
    const scores = [...assessed.map((a) => a.score), ...stale.map(() => null)];
    const changed: { tutor_id: string }[] = await runner.query(
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::smallint[], $4::smallint[], $5::real[])
           AS u(tutor_id, tier, green, red, score)
       ),
       before AS (
         SELECT t.tutor_id, t.tier FROM tutor_performance_tiers t JOIN input USING (tutor_id)
       ),
       written AS (
         INSERT INTO tutor_performance_tiers AS t
           (tutor_id, tier, tier_since, previous_tier, evaluated_for, performance_score,
            green_flags, red_flags, updated_at)
         SELECT tutor_id, tier, $6::date, NULL, $6::date, score, green, red, now() FROM input
         ON CONFLICT (tutor_id) DO UPDATE SET
           previous_tier = CASE WHEN t.tier IS DISTINCT FROM EXCLUDED.tier THEN t.tier ELSE t.previous_tier END,
           tier_since = CASE WHEN t.tier IS DISTINCT FROM EXCLUDED.tier THEN EXCLUDED.tier_since ELSE t.tier_since END,
           tier = EXCLUDED.tier,
           evaluated_for = EXCLUDED.evaluated_for,
           performance_score = EXCLUDED.performance_score,
           green_flags = EXCLUDED.green_flags,
           red_flags = EXCLUDED.red_flags,
           updated_at = EXCLUDED.updated_at
         WHERE t.evaluated_for <= EXCLUDED.evaluated_for
         RETURNING t.tutor_id, t.tier
       )
       SELECT w.tutor_id FROM written w LEFT JOIN before b USING (tutor_id)
       WHERE w.tier IS DISTINCT FROM b.tier`,
      [all, all.map(tierOf), green, red, scores, date],
    );
    await this.outbox.append(
      runner.manager,
      changed.map((c) => ({
        id: eventIdFor(`${TIER_CHANGED_EVENT}:${c.tutor_id}:${date}`),
        type: TIER_CHANGED_EVENT,
        payload: { tutorId: c.tutor_id },
      })),
    );
    return { rated: tiers.size, changes: changed.length };
  }
}

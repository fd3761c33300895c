import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { eventIdFor } from '../workers/event-id';
import { MissingRecordError } from '../workers/job-errors';
import { JobQueue } from '../workers/job-queue.service';
import { OutboxService } from '../workers/outbox.service';
import { QueueRegistry } from '../workers/queue-registry';
import { JOBS } from '../workers/queues';
import { TutorActivityJob } from './evaluation-jobs.dto';
import { flagMetricsOf, upsertTutorSnapshots } from './metrics-sql';
import { assess } from './performance-tiers';
import { WINDOW_DAYS } from './performance.constants';

/** The event other modules subscribe to after a tutor's metrics changed. */
export const METRICS_UPDATED_EVENT = 'tutor.metrics-updated';
/** Advisory-lock namespace: one recompute per tutor at a time. */
const RECOMPUTE_LOCK = 4_180_001;

export const recomputeJobId = (tutorId: string, bucket: number) =>
  `tutor-metrics:${tutorId}:${bucket}`;

export const utcDate = (date: Date) => date.toISOString().slice(0, 10);

/**
 * The event-driven path: a stored session, feedback or tutor event schedules a
 * recompute of that tutor, coalesced to at most one per tutor per second.
 */
@Injectable()
export class TutorEvaluationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxService,
    private readonly jobs: JobQueue,
    private readonly queues: QueueRegistry,
    private readonly clock: Clock,
  ) {}

  /**
   * Records the event (for insight latency) and makes sure a recompute of the
   * tutor is pending. The recompute's job id names the tutor and the current
   * second and is delayed to the end of that second, so every event of that
   * second lands on one job (Bull ignores an add whose id exists). If that
   * second's job has already started or finished (clocks of two workers
   * disagree), the next second's job is used, so no event is left behind.
   */
  async noteTutorActivity(event: TutorActivityJob): Promise<{ recomputeJobId: string }> {
    const [{ tutor_found }]: { tutor_found: boolean }[] = await this.dataSource.query(
      `WITH t AS (SELECT id FROM tutors WHERE id = $3),
       stored AS (
         INSERT INTO tutor_metrics_triggers (event_id, event_type, tutor_id, record_id, stored_at)
         SELECT $1, $2, t.id, $4, $5 FROM t
         ON CONFLICT (event_id) DO NOTHING
       )
       SELECT EXISTS (SELECT 1 FROM t) AS tutor_found`,
      [
        event.eventId,
        event.eventType,
        event.tutorId,
        event.tutorEventId ?? event.feedbackId ?? event.sessionId ?? null,
        event.occurredAt,
      ],
    );
    if (!tutor_found) throw new MissingRecordError('tutor', event.tutorId);

    const queue = this.queues.get(JOBS.evaluation.recomputeTutor.queue);
    let bucket = Math.floor(Date.now() / 1000);
    for (;;) {
      const jobId = recomputeJobId(event.tutorId, bucket);
      const existing = await queue.getJob(jobId);
      if (existing) {
        // Not taken by a worker yet (Bull stamps processedOn as it takes a job), so it will
        // claim this event; read from the job's hash, without a second round trip for its state.
        // One that started may have claimed before this event; one that failed and waits to
        // retry keeps its stamp and gets a successor too (its claims were rolled back, so the
        // two recompute the same events: one recompute more, nothing lost).
        if (!existing.processedOn) return { recomputeJobId: jobId };
        bucket++;
        continue;
      }
      await this.jobs.add(
        JOBS.evaluation.recomputeTutor,
        { tutorId: event.tutorId, bucket },
        { jobId, delay: Math.max(0, (bucket + 1) * 1000 - Date.now()) },
      );
      return { recomputeJobId: jobId };
    }
  }

  /**
   * Recomputes the tutor's 7/30/90-day metrics as of now into today's
   * snapshots, with the primary window's flags and score, emits
   * tutor.metrics-updated (its id derives from the tutor and bucket, so a
   * retried job emits nothing twice), and stamps the events it covered.
   * Events are claimed before the metrics are read: any event claimed here was
   * committed after its record, so the metrics include that record.
   */
  async recomputeTutor(
    tutorId: string,
    bucket: number,
  ): Promise<{ snapshotDate: string; events: number }> {
    return this.dataSource.transaction(async (manager) => {
      // One round trip: wait for the tutor's recompute lock and check the tutor exists (as of the
      // statement's start; a tutor erased during the wait fails the writes below, and the retry
      // then finds it missing). The statements after it run once the lock is held, so they see
      // the previous recompute's commit.
      const [{ tutor }]: { tutor: boolean }[] = await manager.query(
        `WITH locked AS (SELECT pg_advisory_xact_lock($1, hashtext($2)))
         SELECT EXISTS (SELECT 1 FROM tutors WHERE id = $2::uuid) AS tutor FROM locked`,
        [RECOMPUTE_LOCK, tutorId],
      );
      if (!tutor) throw new MissingRecordError('tutor', tutorId);
      const claimed: { event_id: string }[] = await manager.query(
        `SELECT event_id FROM tutor_metrics_triggers
         WHERE tutor_id = $1 AND metrics_updated_at IS NULL
         FOR UPDATE`,
        [tutorId],
      );
      const ref = this.clock.now();
      const snapshotDate = utcDate(ref);
      const rows = await upsertTutorSnapshots(manager, tutorId, ref, snapshotDate);
      const primary = rows.find((r) => r.window_days === WINDOW_DAYS['30day']);
      if (primary) {
        const { flags, score } = assess(flagMetricsOf(primary));
        await manager.query(
          `UPDATE tutor_metric_snapshots SET green_flags = $2, red_flags = $3, performance_score = $4
           WHERE id = $1`,
          [primary.id, flags.green, flags.red, score],
        );
      }
      await this.outbox.append(manager, [
        {
          id: eventIdFor(`${METRICS_UPDATED_EVENT}:${tutorId}:${bucket}`),
          type: METRICS_UPDATED_EVENT,
          payload: { tutorId },
        },
      ]);
      if (claimed.length) {
        await manager.query(
          `UPDATE tutor_metrics_triggers SET metrics_updated_at = now.t
           FROM (SELECT clock_timestamp() AS t) AS now
           WHERE event_id = ANY($1::uuid[])`,
          [claimed.map((c) => c.event_id)],
        );
      }
      return { snapshotDate, events: claimed.length };
    });
  }
}

import { Injectable } from '@nestjs/common';
import { QueueRegistry } from './queue-registry';
import { QUEUE_NAMES, QueueName } from './queues';

export interface QueueCounts {
  queue: QueueName;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  paused: number;
}

export interface QueueActivity extends QueueCounts {
  /** Jobs completed in the last hour (among the retained completed jobs). */
  completedLastHour: number;
  /** 95th percentile of processing time (ms) of those jobs; null when none. */
  p95JobMs: number | null;
  /** Age (ms) of the oldest job waiting to run; null when none waits. */
  oldestWaitingMs: number | null;
}

/** Completed jobs inspected per queue for the last-hour figures. */
const RECENT_COMPLETED = 1000;

export function percentile(values: number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Per-queue job counts: the seam for the workers page and the Prometheus metrics. */
@Injectable()
export class WorkerStats {
  constructor(private readonly queues: QueueRegistry) {}

  async counts(): Promise<QueueCounts[]> {
    return Promise.all(
      QUEUE_NAMES.map(async (queue) => {
        const c = await this.queues.get(queue).getJobCounts();
        return {
          queue,
          waiting: c.waiting,
          active: c.active,
          delayed: c.delayed,
          failed: c.failed,
          completed: c.completed,
          paused: (c as { paused?: number }).paused ?? 0,
        };
      }),
    );
  }

  /** Counts plus last-hour throughput, p95 job time and the oldest waiting job's age. */
  async activity(now = Date.now()): Promise<QueueActivity[]> {
    const counts = await this.counts();
    return Promise.all(
      counts.map(async (c) => {
        const queue = this.queues.get(c.queue);
        const [completed, oldest] = await Promise.all([
          queue.getCompleted(0, RECENT_COMPLETED - 1),
          // Waiting jobs are pushed on the left: the oldest is the last element.
          c.waiting ? queue.getWaiting(-1, -1) : Promise.resolve([]),
        ]);
        const recent = completed.filter((j) => j && (j.finishedOn ?? 0) >= now - 3_600_000);
        const durations = recent
          .filter((j) => j.processedOn && j.finishedOn)
          .map((j) => j.finishedOn! - j.processedOn!);
        const first = oldest.find(Boolean);
        return {
          ...c,
          completedLastHour: recent.length,
          p95JobMs: percentile(durations, 95),
          oldestWaitingMs: first ? Math.max(0, now - first.timestamp) : null,
        };
      }),
    );
  }
}

import type { Queue } from 'bull';
import { DataSource } from 'typeorm';
import { QueueRegistry } from '../../src/workers/queue-registry';
import { QUEUE_NAMES } from '../../src/workers/queues';
import type { TestApp } from './test-app';

/** Polls `check` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T> | T,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const queueOf = (t: TestApp, name: (typeof QUEUE_NAMES)[number]): Queue =>
  t.app.get(QueueRegistry).get(name);

/**
 * Jobs waiting, running, or delayed until at most `horizonMs` from now (the
 * one-second recompute buckets, early retries). Scheduled ticks and jobs set
 * for later (an SLA check due in hours) do not count.
 */
export async function pendingJobs(queues: Queue[], horizonMs = 10_000): Promise<number> {
  let pending = 0;
  const horizon = Date.now() + horizonMs;
  for (const queue of queues) {
    const counts = await queue.getJobCounts();
    const delayed = await queue.getDelayed();
    pending +=
      counts.waiting +
      counts.active +
      delayed.filter(
        (j) => !String(j.id).startsWith('repeat:') && j.timestamp + (j.opts.delay ?? 0) <= horizon,
      ).length;
  }
  return pending;
}

export async function unpublishedEvents(dataSource: DataSource): Promise<number> {
  const [{ n }] = await dataSource.query(
    'SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL AND failed_at IS NULL',
  );
  return n;
}

/**
 * Waits until every outbox event is published and every queue is empty, and
 * stays so between two polls with no job finished in between. One look is not
 * enough: a job can commit an event and finish between the outbox count and
 * the queue count, and the job its event then fans out to would start after
 * "idle" was declared.
 */
export async function waitForIdle(t: TestApp, timeoutMs = 30_000): Promise<void> {
  const queues = QUEUE_NAMES.map((q) => queueOf(t, q));
  const finished = async () => {
    let n = 0;
    for (const queue of queues) {
      const counts = await queue.getJobCounts();
      n += counts.completed + counts.failed;
    }
    return n;
  };
  let previous = -1;
  await waitFor(
    'the outbox and the queues to drain',
    async () => {
      const done = await finished();
      const idle =
        (await pendingJobs(queues)) === 0 && (await unpublishedEvents(t.dataSource)) === 0;
      const settled = idle && done === previous && done === (await finished());
      previous = idle ? done : -1;
      return settled;
    },
    timeoutMs,
    200,
  );
}

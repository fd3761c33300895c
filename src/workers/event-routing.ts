/**
 * How an outbox event becomes jobs: one per subscribed handler that wants it.
 * Used by the outbox relay, and by the `events` queue's processor for jobs an
 * earlier version queued.
 */
import type { JobOptions } from 'bull';
import { DomainEventJob } from './domain-event.dto';
import { InvalidJobPayloadError } from './job-errors';
import { toPlainPayload, validateJobPayload } from './job-payload';
import { JobRegistry } from './job-registry';
import { QueueRegistry } from './queue-registry';
import { handlerName, QueueName } from './queues';

/** Job id of an event's job for one handler. */
export const fanOutJobId = (eventId: string, handler: string) => `${eventId}:${handler}`;

/** One subscribed handler's job for an event, ready for `queue.addBulk`. */
export interface HandlerJob {
  queue: QueueName;
  name: string;
  data: Record<string, unknown>;
  opts: JobOptions & { jobId: string };
}

/**
 * The jobs an event becomes: one per subscribed handler that wants it (see
 * `when` on @JobProcessor; job id `<eventId>:<queue>.<job>`), each payload
 * validated against its handler's DTO, so each handler retries on its own.
 * Adding a job whose id exists is a no-op in Bull, so publishing an event
 * twice adds nothing twice. All or nothing: `problems` names every handler
 * whose payload does not validate, and then no job should be added.
 */
export function handlerJobsOf(
  registry: JobRegistry,
  event: DomainEventJob,
): { jobs: HandlerJob[]; problems: string[] } {
  const jobs: HandlerJob[] = [];
  const problems: string[] = [];
  const plain = {
    ...event.payload,
    eventId: event.eventId,
    eventType: event.type,
    occurredAt: event.occurredAt,
  };
  for (const subscriber of registry.subscribersOf(event.type)) {
    if (subscriber.when && !subscriber.when(plain)) continue;
    const handler = handlerName(subscriber.job);
    try {
      const payload = validateJobPayload(subscriber.payload, plain, handler, { strip: true });
      jobs.push({
        queue: subscriber.job.queue,
        name: subscriber.job.name,
        data: toPlainPayload(payload),
        opts: { ...subscriber.job.options, jobId: fanOutJobId(event.eventId, handler) },
      });
    } catch (error) {
      if (!(error instanceof InvalidJobPayloadError)) throw error;
      problems.push(error.message);
    }
  }
  return { jobs, problems };
}

/** `jobs` added with one `addBulk` (one Redis transaction) per queue. */
export async function addHandlerJobs(queues: QueueRegistry, jobs: HandlerJob[]): Promise<void> {
  const byQueue = new Map<QueueName, HandlerJob[]>();
  for (const job of jobs) {
    const list = byQueue.get(job.queue);
    if (list) list.push(job);
    else byQueue.set(job.queue, [job]);
  }
  await Promise.all(
    [...byQueue].map(([queue, list]) =>
      queues.get(queue).addBulk(list.map(({ name, data, opts }) => ({ name, data, opts }))),
    ),
  );
}

import { Injectable } from '@nestjs/common';
import { DomainEventJob } from './domain-event.dto';
import { InvalidJobPayloadError, PermanentJobError } from './job-errors';
import { toPlainPayload, validateJobPayload } from './job-payload';
import { JobProcessor } from './job-processor.decorator';
import { JobRegistry } from './job-registry';
import { QueueRegistry } from './queue-registry';
import { handlerName, JOBS } from './queues';

/** Job id of an event's job for one handler. */
export const fanOutJobId = (eventId: string, handler: string) => `${eventId}:${handler}`;

/**
 * The `events` queue: one job per outbox event (job id = event id) becomes one
 * job per subscribed handler (job id `<eventId>:<queue>.<job>`), so each
 * handler retries on its own. Adding a job whose id exists is a no-op in
 * Bull, so running this twice for one event adds nothing twice.
 */
@Injectable()
export class EventFanOutProcessor {
  constructor(
    private readonly registry: JobRegistry,
    private readonly queues: QueueRegistry,
  ) {}

  @JobProcessor(JOBS.events.domainEvent, { payload: DomainEventJob, concurrency: 8 })
  async fanOut(event: DomainEventJob): Promise<{ handlers: string[] }> {
    const problems: string[] = [];
    const handlers: string[] = [];
    for (const subscriber of this.registry.subscribersOf(event.type)) {
      const handler = handlerName(subscriber.job);
      const plain = {
        ...event.payload,
        eventId: event.eventId,
        eventType: event.type,
        occurredAt: event.occurredAt,
      };
      try {
        const payload = validateJobPayload(subscriber.payload, plain, handler, { strip: true });
        await this.queues
          .get(subscriber.job.queue)
          .add(subscriber.job.name, toPlainPayload(payload), {
            ...subscriber.job.options,
            jobId: fanOutJobId(event.eventId, handler),
          });
        handlers.push(handler);
      } catch (error) {
        if (!(error instanceof InvalidJobPayloadError)) throw error;
        problems.push(error.message);
      }
    }
    if (problems.length) {
      throw new PermanentJobError(
        `event ${event.eventId} (${event.type}) reached ${handlers.length} handler(s); ${problems.join('; ')}`,
      );
    }
    return { handlers };
  }
}

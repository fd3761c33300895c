import { Injectable } from '@nestjs/common';
import { DomainEventJob } from './domain-event.dto';
import { addHandlerJobs, handlerJobsOf } from './event-routing';
import { PermanentJobError } from './job-errors';
import { JobProcessor } from './job-processor.decorator';
import { JobRegistry } from './job-registry';
import { QueueRegistry } from './queue-registry';
import { handlerName, JOBS } from './queues';

/**
 * The `events` queue. The outbox relay adds each event's handler jobs itself
 * (see OutboxRelay); versions before it published one `domain-event` job per
 * event here, which this processor still fans out, so a deploy that replaces
 * such a version loses none of the events it had queued.
 */
@Injectable()
export class EventFanOutProcessor {
  constructor(
    private readonly registry: JobRegistry,
    private readonly queues: QueueRegistry,
  ) {}

  @JobProcessor(JOBS.events.domainEvent, { payload: DomainEventJob })
  async fanOut(event: DomainEventJob): Promise<{ handlers: string[] }> {
    const { jobs, problems } = handlerJobsOf(this.registry, event);
    if (problems.length) {
      throw new PermanentJobError(`event ${event.eventId} (${event.type}): ${problems.join('; ')}`);
    }
    await addHandlerJobs(this.queues, jobs);
    return { handlers: jobs.map((j) => handlerName(j)) };
  }
}

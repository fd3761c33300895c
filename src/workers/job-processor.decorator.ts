import { SetMetadata } from '@nestjs/common';
import type { Job } from 'bull';
import type { PayloadClass } from './job-payload';
import type { JobDefinition } from './queues';

export const JOB_PROCESSOR = 'tutormax:job-processor';

export interface JobProcessorOptions {
  /** class-validator DTO of the payload; checked before enqueueing and again before running. */
  payload: PayloadClass;
  /** Jobs of this name run at the same time in one process (default 1). */
  concurrency?: number;
  /**
   * Domain events this handler subscribes to. Each event becomes one job of
   * this name, with job id `<eventId>:<queue>.<name>`, whose payload is the
   * event's id, type and time plus the event fields the DTO names.
   */
  events?: readonly string[];
  /**
   * Which of those events this handler wants, asked when an event is routed:
   * an event it declines becomes no job for it. The handler still checks what
   * it is given: an event an earlier version wrote may lack the field a filter
   * reads, and the filter should then let it through.
   */
  when?: (event: Readonly<Record<string, unknown>>) => boolean;
}

export interface JobProcessorMetadata extends JobProcessorOptions {
  job: JobDefinition;
}

/** A processor method: `(payload, job) => Promise`. Thin: validate, call a service, classify errors. */
export type JobHandler<P = unknown> = (payload: P, job: Job) => Promise<unknown>;

/**
 * Marks a method as the one processor of a job name. Throw PermanentJobError
 * (or a subclass) for failures no retry can fix; anything else is retried.
 */
export const JobProcessor = (job: JobDefinition, options: JobProcessorOptions): MethodDecorator =>
  SetMetadata<string, JobProcessorMetadata>(JOB_PROCESSOR, { job, ...options });

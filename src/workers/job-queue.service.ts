import { Injectable } from '@nestjs/common';
import type { Job, JobOptions } from 'bull';
import { toPlainPayload, validateJobPayload } from './job-payload';
import { JobRegistry } from './job-registry';
import { QueueRegistry } from './queue-registry';
import { handlerName, JobDefinition } from './queues';

export interface JobToAdd {
  payload: object;
  options?: JobOptions;
}

/**
 * The way to enqueue work: every payload is validated against the DTO of the
 * job's processor before it reaches Redis (InvalidJobPayloadError otherwise).
 */
@Injectable()
export class JobQueue {
  constructor(
    private readonly queues: QueueRegistry,
    private readonly registry: JobRegistry,
  ) {}

  async add(job: JobDefinition, payload: object, options: JobOptions = {}): Promise<Job> {
    const data = this.validated(job, payload);
    return this.queues.get(job.queue).add(job.name, data, { ...job.options, ...options });
  }

  async addBulk(job: JobDefinition, jobs: JobToAdd[]): Promise<Job[]> {
    if (!jobs.length) return [];
    const entries = jobs.map((j) => ({
      name: job.name,
      data: this.validated(job, j.payload),
      opts: { ...job.options, ...j.options },
    }));
    return this.queues.get(job.queue).addBulk(entries);
  }

  private validated(job: JobDefinition, payload: object): Record<string, unknown> {
    const { payload: cls } = this.registry.processorOf(job);
    return toPlainPayload(validateJobPayload(cls, payload, handlerName(job)));
  }
}

import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { BootError } from '../boot-checks';
import { EVENT_TYPE } from './domain-event.dto';
import { JOB_PROCESSOR, JobHandler, JobProcessorMetadata } from './job-processor.decorator';
import { ALL_JOBS, handlerName, JobDefinition } from './queues';

export interface RegisteredProcessor extends JobProcessorMetadata {
  /** `Class#method`, for messages. */
  owner: string;
  handle: JobHandler;
}

const keyOf = (job: JobDefinition) => `${job.queue}/${job.name}`;

/**
 * Problems with the processors found in the code, against the JOBS catalogue:
 * a catalogued job with no processor or with more than one, a processor for a
 * job that is not catalogued, or a subscription to a malformed event type.
 */
export function jobHandlerProblems(
  catalogue: readonly JobDefinition[],
  processors: readonly Pick<RegisteredProcessor, 'job' | 'owner' | 'events'>[],
): string[] {
  const problems: string[] = [];
  const known = new Set(catalogue.map(keyOf));
  const byJob = new Map<string, string[]>();
  for (const p of processors) {
    const key = keyOf(p.job);
    if (!known.has(key)) {
      problems.push(`${p.owner} processes ${key}, which is not in JOBS (src/workers/queues.ts)`);
    }
    byJob.set(key, [...(byJob.get(key) ?? []), p.owner]);
    for (const type of p.events ?? []) {
      if (!EVENT_TYPE.test(type))
        problems.push(`${p.owner} subscribes to a malformed event type "${type}"`);
    }
  }
  for (const job of catalogue) {
    const owners = byJob.get(keyOf(job)) ?? [];
    if (owners.length === 0) problems.push(`no processor for job ${keyOf(job)}`);
    if (owners.length > 1)
      problems.push(
        `${owners.length} processors for job ${keyOf(job)}: ${[...owners].sort().join(', ')}`,
      );
  }
  return problems;
}

export class JobCatalogueError extends BootError {
  constructor(readonly problems: string[]) {
    super(`every job needs exactly one processor:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Finds every @JobProcessor method at boot, in every role, and fails the boot
 * unless each catalogued job name has exactly one. Web processes register
 * nothing with Bull (see QueueWorkers) but still know each job's payload DTO,
 * so they can validate what they enqueue.
 */
@Injectable()
export class JobRegistry implements OnModuleInit {
  private readonly processors = new Map<string, RegisteredProcessor>();
  private readonly subscribers = new Map<string, RegisteredProcessor[]>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    const found = this.discover();
    const problems = jobHandlerProblems(ALL_JOBS, found);
    if (problems.length) throw new JobCatalogueError(problems);
    for (const p of found) {
      this.processors.set(keyOf(p.job), p);
      for (const type of p.events ?? []) {
        this.subscribers.set(type, [...(this.subscribers.get(type) ?? []), p]);
      }
    }
  }

  private discover(): RegisteredProcessor[] {
    const found: RegisteredProcessor[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = (instance as Record<string, unknown>)[method];
        if (typeof fn !== 'function') continue;
        const meta = this.reflector.get<JobProcessorMetadata | undefined>(
          JOB_PROCESSOR,
          fn as (...args: unknown[]) => unknown,
        );
        if (!meta) continue;
        found.push({
          ...meta,
          owner: `${instance.constructor.name}#${method}`,
          handle: (fn as JobHandler).bind(instance),
        });
      }
    }
    return found;
  }

  all(): RegisteredProcessor[] {
    return [...this.processors.values()];
  }

  processorOf(job: JobDefinition): RegisteredProcessor {
    const processor = this.processors.get(keyOf(job));
    if (!processor) throw new Error(`no processor for job ${keyOf(job)}`);
    return processor;
  }

  /** Handlers subscribed to an event type, in a stable order. */
  subscribersOf(eventType: string): RegisteredProcessor[] {
    return [...(this.subscribers.get(eventType) ?? [])].sort((a, b) =>
      handlerName(a.job) < handlerName(b.job) ? -1 : 1,
    );
  }
}

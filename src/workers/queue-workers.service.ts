import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { WebActivity } from '../common/web-activity';
import { AppConfig } from '../config/app-config';
import { JobRegistry, RegisteredProcessor } from './job-registry';
import { runJob } from './job-runner';
import { JobSlots } from './job-slots';
import { OutboxRelay } from './outbox-relay.service';
import { QueueRegistry } from './queue-registry';
import { SHUTDOWN_DRAIN_MS } from './queues';
import { Scheduler } from './scheduler.service';

/**
 * Binds the registered processors to Bull in worker processes (ROLE=worker or
 * all; ROLE=web binds none and runs no relay), starts the outbox relay and the
 * scheduler, and drains on shutdown: stop taking jobs, give running ones up to
 * 25 s, close the queues. The database closes after this (Nest runs every
 * beforeApplicationShutdown hook before any onApplicationShutdown).
 */
@Injectable()
export class QueueWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Workers');
  private bound = false;
  /** `<queue>/<job id>` of the jobs running in this process (or waiting for a slot). */
  private readonly running = new Set<string>();
  private readonly slots: JobSlots;

  constructor(
    private readonly config: AppConfig,
    private readonly queues: QueueRegistry,
    private readonly registry: JobRegistry,
    private readonly relay: OutboxRelay,
    private readonly scheduler: Scheduler,
    web: WebActivity,
  ) {
    // With ROLE=worker no request ever arrives, so the limit stays at JOB_SLOTS.
    this.slots = new JobSlots(config.jobSlots, {
      busy: () => web.busy(),
      busySize: config.JOB_SLOTS_WEB_BUSY,
    });
  }

  get processing(): boolean {
    return this.bound;
  }

  onApplicationBootstrap(): void {
    if (!this.config.runsWorkers) return;
    for (const processor of this.registry.all()) this.bind(processor);
    this.bound = true;
    // Neither waits for Redis: a process that starts during a Redis outage
    // serves requests and catches up when Redis is back.
    this.scheduler.start();
    this.relay.start();
    this.logger.log(
      `processing ${this.registry.all().length} job types on ${this.queues.all().length} queues, ${this.slots.size} at a time (${Math.min(this.config.JOB_SLOTS_WEB_BUSY, this.slots.size)} while the web is in use)`,
    );
  }

  private bind(processor: RegisteredProcessor): void {
    const queue = this.queues.get(processor.job.queue);
    const run = async (job: Job) => {
      const key = `${processor.job.queue}/${String(job.id)}`;
      this.running.add(key);
      try {
        return await this.slots.run(() => runJob(processor, job, this.logger));
      } finally {
        this.running.delete(key);
      }
    };
    const start = () => {
      if ((queue as Queue & { closing?: unknown }).closing) return;
      queue.process(processor.job.name, processor.concurrency ?? 1, run).catch((error: unknown) => {
        if (!(queue as Queue & { closing?: unknown }).closing)
          this.logger.error(`worker loop of ${processor.job.queue} stopped: ${String(error)}`);
      });
    };
    // A process started while Redis is away begins taking jobs when it answers.
    if (queue.client.status === 'ready') start();
    else queue.client.once('ready', start);
  }

  /**
   * Bull may hand a worker its next job at the moment the worker pauses (the
   * job is marked active and locked but never started). Such jobs would wait
   * for their lock to expire before another worker noticed them; move them
   * back now. Jobs locked by other processes are refused by Bull's lock check.
   */
  private async returnClaimedJobs(queues: Queue[]): Promise<number> {
    let returned = 0;
    for (const queue of queues) {
      const active = await queue.getActive().catch(() => [] as Job[]);
      for (const job of active) {
        if (this.running.has(`${queue.name}/${String(job.id)}`)) continue;
        try {
          await (job as Job & { moveToDelayed(timestamp: number): Promise<void> }).moveToDelayed(
            Date.now(),
          );
          returned++;
        } catch {
          // Locked by another worker, or already gone.
        }
      }
    }
    return returned;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    await Promise.all([this.relay.stop(), this.scheduler.stop()]);
    const queues = this.queues.all();
    if (!this.bound) {
      await Promise.all(queues.map((q) => q.close()));
      return;
    }
    const started = Date.now();
    this.logger.log(
      `${signal ?? 'shutdown'}: no new jobs; waiting for running ones (at most 25 s)`,
    );
    const drained = await settleWithin(
      Promise.all(queues.map((q) => q.pause(true))),
      SHUTDOWN_DRAIN_MS,
    );
    if (!drained) this.logger.warn('jobs still running after 25 s; they will run again elsewhere');
    // Bounded: with Redis away there is nothing to return, and no reason to wait.
    let returned = 0;
    await settleWithin(
      this.returnClaimedJobs(queues).then((n) => (returned = n)),
      RETURN_CLAIMED_MS,
    );
    await Promise.all(queues.map((q: Queue) => q.close(!drained)));
    if (returned)
      this.logger.log(`returned ${returned} claimed but unstarted jobs to their queues`);
    this.logger.log(`queues closed after ${Date.now() - started} ms`);
  }
}

const RETURN_CLAIMED_MS = 3_000;

/** True when `promise` settles within `ms`. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

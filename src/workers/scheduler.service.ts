import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { JobQueue } from './job-queue.service';
import { QueueRegistry } from './queue-registry';
import { QUEUE_NAMES } from './queues';
import { desiredSchedules, planSchedules, StoredRepeat } from './schedules';

/**
 * Registers the schedule table as Bull repeatable jobs at boot (worker roles).
 * Idempotent: a repeat's key is (job, fixed id, time zone, cron), and each
 * tick's job id derives from that key and the tick time, so any number of
 * replicas registering the same table add each tick once. A changed cron or
 * time zone replaces the old repeat (and its pending tick).
 */
@Injectable()
export class Scheduler {
  private readonly logger = new Logger('Scheduler');
  private registering: Promise<void> | null = null;
  private stopping = false;
  private cancelRetry: (() => void) | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly queues: QueueRegistry,
    private readonly jobs: JobQueue,
  ) {}

  /** Registers the schedules in the background, retrying while Redis does not answer. */
  start(): void {
    if (this.registering) return;
    this.stopping = false;
    this.registering = (async () => {
      for (let attempt = 1; !this.stopping; attempt++) {
        try {
          await this.registerSchedules();
          return;
        } catch (error) {
          if (attempt === 1)
            this.logger.warn(
              `cannot register schedules yet (${(error as Error).message}); retrying`,
            );
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.min(1000 * attempt, 10_000));
            this.cancelRetry = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
      }
    })().finally(() => (this.registering = null));
  }

  /** Stops retrying; a registration stuck on an absent Redis is abandoned after a second. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.cancelRetry?.();
    if (!this.registering) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.registering,
      new Promise((resolve) => (timer = setTimeout(resolve, 1000))),
    ]).finally(() => clearTimeout(timer));
  }

  async registerSchedules(): Promise<{ removed: number; added: number }> {
    const stored: StoredRepeat[] = [];
    for (const queue of QUEUE_NAMES) {
      for (const r of await this.queues.get(queue).getRepeatableJobs()) {
        stored.push({
          queue,
          key: r.key,
          name: r.name,
          id: r.id ?? null,
          cron: r.cron ?? null,
          tz: r.tz ?? null,
        });
      }
    }
    const plan = planSchedules(stored, desiredSchedules(this.config));
    for (const old of plan.remove) {
      await this.queues
        .get(old.queue as (typeof QUEUE_NAMES)[number])
        .removeRepeatableByKey(old.key);
      this.logger.log(
        `removed schedule ${old.id ?? old.name} (${old.cron ?? '?'} ${old.tz ?? ''})`,
      );
    }
    for (const schedule of plan.add) {
      await this.jobs.add(schedule.job, schedule.payload, {
        jobId: schedule.key,
        repeat: { cron: schedule.cron, tz: schedule.tz },
      });
      this.logger.log(`scheduled ${schedule.key}: ${schedule.cron} (${schedule.tz})`);
    }
    return { removed: plan.remove.length, added: plan.add.length };
  }
}

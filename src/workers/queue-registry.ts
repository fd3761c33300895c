import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import { QUEUES, QueueName } from './queues';

const ERROR_LOG_INTERVAL_MS = 30_000;

/** The six Bull queues by name. */
@Injectable()
export class QueueRegistry {
  private readonly logger = new Logger('Queues');
  private lastErrorLogged = 0;
  private readonly byName: ReadonlyMap<QueueName, Queue>;

  constructor(
    @InjectQueue(QUEUES.events) events: Queue,
    @InjectQueue(QUEUES.evaluation) evaluation: Queue,
    @InjectQueue(QUEUES.prediction) prediction: Queue,
    @InjectQueue(QUEUES.training) training: Queue,
    @InjectQueue(QUEUES.notifications) notifications: Queue,
    @InjectQueue(QUEUES.maintenance) maintenance: Queue,
  ) {
    this.byName = new Map<QueueName, Queue>([
      [QUEUES.events, events],
      [QUEUES.evaluation, evaluation],
      [QUEUES.prediction, prediction],
      [QUEUES.training, training],
      [QUEUES.notifications, notifications],
      [QUEUES.maintenance, maintenance],
    ]);
    // Bull re-emits Redis errors on the queue; an 'error' event without a
    // listener would crash the process, and a Redis outage must not.
    for (const queue of this.byName.values()) queue.on('error', (error) => this.redisError(error));
  }

  private redisError(error: Error): void {
    const now = Date.now();
    if (now - this.lastErrorLogged < ERROR_LOG_INTERVAL_MS) return;
    this.lastErrorLogged = now;
    this.logger.warn(`queue connection problem (events wait in PostgreSQL): ${error.message}`);
  }

  get(name: QueueName): Queue {
    return this.byName.get(name)!;
  }

  all(): Queue[] {
    return [...this.byName.values()];
  }
}

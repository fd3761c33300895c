import { Injectable } from '@nestjs/common';
import { QueueRegistry } from './queue-registry';
import { QUEUE_NAMES, QueueName } from './queues';

export interface QueueCounts {
  queue: QueueName;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  paused: number;
}

/** Per-queue job counts: the seam for the workers page and the Prometheus metrics. */
@Injectable()
export class WorkerStats {
  constructor(private readonly queues: QueueRegistry) {}

  async counts(): Promise<QueueCounts[]> {
    return Promise.all(
      QUEUE_NAMES.map(async (queue) => {
        const c = await this.queues.get(queue).getJobCounts();
        return {
          queue,
          waiting: c.waiting,
          active: c.active,
          delayed: c.delayed,
          failed: c.failed,
          completed: c.completed,
          paused: (c as { paused?: number }).paused ?? 0,
        };
      }),
    );
  }
}

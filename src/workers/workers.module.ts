import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { EventFanOutProcessor } from './event-fan-out.processor';
import { JobQueue } from './job-queue.service';
import { JobRegistry } from './job-registry';
import { OutboxRelay } from './outbox-relay.service';
import { OutboxService } from './outbox.service';
import { QueueRegistry } from './queue-registry';
import { QUEUE_NAMES } from './queues';
import { QueueWorkers } from './queue-workers.service';
import { Scheduler } from './scheduler.service';
import { WorkerStats } from './worker-stats.service';

/**
 * The queue machinery: the six queues, the job registry and its boot check,
 * event fan-out, the outbox and its relay, the scheduler, graceful drain.
 * Processors live in the modules whose work they do.
 */
@Module({
  imports: [DiscoveryModule, BullModule.registerQueue(...QUEUE_NAMES.map((name) => ({ name })))],
  providers: [
    OutboxService,
    QueueRegistry,
    JobRegistry,
    JobQueue,
    EventFanOutProcessor,
    OutboxRelay,
    Scheduler,
    QueueWorkers,
    WorkerStats,
  ],
  exports: [OutboxService, JobQueue, QueueRegistry, WorkerStats, QueueWorkers, OutboxRelay],
})
export class WorkersModule {}

import { Injectable } from '@nestjs/common';
import { JobProcessor } from '../workers/job-processor.decorator';
import { JOBS } from '../workers/queues';
import { RetentionService } from './retention.service';

/** Scheduled tick; no payload. */
export class RetentionSweepJob {}

@Injectable()
export class RetentionProcessor {
  constructor(private readonly retention: RetentionService) {}

  @JobProcessor(JOBS.maintenance.retentionSweep, { payload: RetentionSweepJob })
  async sweep() {
    const run = await this.retention.sweep();
    return { runId: run.id, acted: run.acted };
  }
}

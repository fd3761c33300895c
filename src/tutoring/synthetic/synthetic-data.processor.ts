import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { JobProcessor } from '../../workers/job-processor.decorator';
import { JOBS } from '../../workers/queues';
import { SyntheticSimulationService } from './synthetic-simulation.service';

/** The scheduled tick has no payload. */
export class GenerateSyntheticDataJob {}

@Injectable()
export class SyntheticDataProcessor {
  constructor(
    private readonly simulation: SyntheticSimulationService,
    private readonly clock: Clock,
  ) {}

  @JobProcessor(JOBS.maintenance.generateSyntheticData, { payload: GenerateSyntheticDataJob })
  generate() {
    return this.simulation.simulateUntil(this.clock.now());
  }
}

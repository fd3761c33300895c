import { Module } from '@nestjs/common';
import { TutoringModule } from '../tutoring.module';
import { SyntheticDataProcessor } from './synthetic-data.processor';
import { SyntheticSimulationService } from './synthetic-simulation.service';

/** The scheduled synthetic data feed (maintenance queue); it only runs when SIMULATION_ENABLED. */
@Module({
  imports: [TutoringModule],
  providers: [SyntheticSimulationService, SyntheticDataProcessor],
  exports: [SyntheticSimulationService],
})
export class SimulationModule {}

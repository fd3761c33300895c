import { Module } from '@nestjs/common';
import { WorkerPagesController } from './worker-pages.controller';
import { WorkersModule } from './workers.module';

/** The workers page; Bull Board is mounted outside Nest's router (see bull-board.ts). */
@Module({ imports: [WorkersModule], controllers: [WorkerPagesController] })
export class WorkerMonitoringModule {}

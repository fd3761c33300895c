import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DetailedHttpError } from '../common/error-body';
import { JobQueue } from '../workers/job-queue.service';
import { JOBS } from '../workers/queues';
import { TrainingRun } from './entities/training-run.entity';

export function runView(r: TrainingRun) {
  return {
    id: r.id,
    status: r.status,
    trigger: r.trigger,
    stage: r.stage,
    progress: r.progress,
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
    peakRssMb: r.peakRssMb,
    result: r.result,
    error: r.error,
    createdAt: r.createdAt.toISOString(),
  };
}

/** Starts training on demand: one run at a time, queued on the training queue. */
@Injectable()
export class TrainingLauncher {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jobs: JobQueue,
  ) {}

  async start(userId: string) {
    const repo = this.dataSource.getRepository(TrainingRun);
    const busy = await repo
      .createQueryBuilder('r')
      .where(`r.status IN ('queued', 'running')`)
      .andWhere(`r.created_at > now() - interval '3 hours'`)
      .getOne();
    if (busy) {
      throw new DetailedHttpError(409, 'a training run is already queued or running', [
        { field: 'runId', message: busy.id },
      ]);
    }
    const run = await repo.save(
      repo.create({ status: 'queued', trigger: userId, stage: 'Waiting for a worker' }),
    );
    await this.jobs.add(JOBS.training.trainModels, { runId: run.id }, { jobId: `train:${run.id}` });
    return runView(run);
  }

  async runs(limit = 20) {
    const rows = await this.dataSource
      .getRepository(TrainingRun)
      .find({ order: { createdAt: 'DESC' }, take: limit });
    return rows.map(runView);
  }

  async get(id: string) {
    const r = await this.dataSource.getRepository(TrainingRun).findOneBy({ id });
    if (!r) throw new DetailedHttpError(404, `training run ${id} does not exist`);
    return runView(r);
  }
}

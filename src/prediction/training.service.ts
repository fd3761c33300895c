import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { TrainingRun } from './entities/training-run.entity';
import { ModelRegistryService, PromotionDecision } from './model-registry.service';
import type { ChildMessage, TrainingChildOptions } from './training-child';
import { CandidateModel, SkippedModel, addDays, isoDay } from './training-pipeline';

export interface TrainingSummary {
  runId: string;
  decisions: PromotionDecision[];
  skipped: SkippedModel[];
  peakRssMb: number;
  ms: number;
}

/**
 * Runs a training in a child process with a capped heap (TRAINING_MAX_HEAP_MB), records its
 * progress in `training_runs` for the admin page, and registers the candidates (promoting
 * those that beat the active model on validation).
 */
@Injectable()
export class TrainingService {
  private readonly logger = new Logger('Training');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: ModelRegistryService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async createRun(trigger: string): Promise<TrainingRun> {
    const repo = this.dataSource.getRepository(TrainingRun);
    return repo.save(repo.create({ status: 'queued', trigger, stage: 'Waiting for a worker' }));
  }

  async run(runId: string): Promise<TrainingSummary> {
    const repo = this.dataSource.getRepository(TrainingRun);
    const run = await repo.findOneBy({ id: runId });
    if (!run) throw new Error(`training run ${runId} does not exist`);
    if (run.status === 'completed') {
      return { runId, decisions: [], skipped: [], peakRssMb: run.peakRssMb ?? 0, ms: 0 };
    }
    await repo.update(runId, {
      status: 'running',
      startedAt: this.clock.now(),
      stage: 'Starting',
      progress: 1,
      error: null,
    });
    try {
      const result = await this.runChild(runId, {
        databaseUrl: this.config.DATABASE_URL!,
        horizon: addDays(isoDay(this.clock.now()), 1),
        lookbackDays: this.config.TRAINING_LOOKBACK_DAYS,
      });
      await repo.update(runId, { stage: 'Registering the models', progress: 95 });
      const decisions: PromotionDecision[] = [];
      const skipped: SkippedModel[] = [];
      for (const c of result.candidates as (CandidateModel | SkippedModel)[]) {
        if ('reason' in c) skipped.push(c);
        else decisions.push(await this.registry.register(c, runId));
      }
      const summary = { runId, decisions, skipped, peakRssMb: result.peakRssMb, ms: result.ms };
      await repo.update(runId, {
        status: 'completed',
        finishedAt: this.clock.now(),
        stage: 'Done',
        progress: 100,
        peakRssMb: result.peakRssMb,
        result: { decisions, skipped, ms: result.ms } as never,
      });
      this.logger.log(
        `training ${runId}: ${decisions.filter((d) => d.status === 'active').length} promoted, ` +
          `${skipped.length} skipped, peak RSS ${result.peakRssMb} MB, ${result.ms} ms`,
      );
      return summary;
    } catch (error) {
      await repo.update(runId, {
        status: 'failed',
        finishedAt: this.clock.now(),
        error: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
  }

  private runChild(
    runId: string,
    options: TrainingChildOptions,
  ): Promise<{ candidates: unknown[]; peakRssMb: number; ms: number }> {
    const compiled = join(__dirname, 'training-child.js');
    const source = join(__dirname, 'training-child.ts');
    const script = existsSync(compiled) ? compiled : source;
    const execArgv = [`--max-old-space-size=${this.config.TRAINING_MAX_HEAP_MB}`];
    if (script === source) execArgv.push('-r', 'ts-node/register/transpile-only');
    const child = fork(script, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const repo = this.dataSource.getRepository(TrainingRun);
    return new Promise((resolve, reject) => {
      let settled = false;
      let lastProgress = Promise.resolve();
      child.on('message', (m: ChildMessage) => {
        if (m.type === 'progress') {
          lastProgress = lastProgress
            .then(() => repo.update(runId, { stage: m.stage, progress: m.percent }))
            .then(() => undefined)
            .catch(() => undefined);
        } else if (m.type === 'result') {
          settled = true;
          void lastProgress.then(() => resolve(m));
        } else if (m.type === 'error') {
          settled = true;
          reject(new Error(`training failed: ${m.message}`));
        }
      });
      child.on('exit', (code, signal) => {
        if (!settled) {
          reject(
            new Error(
              `the training process ended (${signal ?? `exit code ${code}`}) before it reported; ` +
                `a heap cap of ${this.config.TRAINING_MAX_HEAP_MB} MB may be too small`,
            ),
          );
        }
      });
      child.send(options);
    });
  }
}

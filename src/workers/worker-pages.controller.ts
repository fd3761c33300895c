import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  NotFoundException,
  Param,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Page, RequirePermission } from '../auth/access.decorators';
import { Pages } from '../web/pages.service';
import { QueueRegistry } from './queue-registry';
import { QUEUE_NAMES, QueueName } from './queues';
import { WorkerStats } from './worker-stats.service';

const FAILED_SHOWN = 25;

const seconds = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);

/** `/admin/workers`: per-queue figures and the failed jobs, with retry and discard (system.operate). */
@ApiExcludeController()
@Controller('admin/workers')
export class WorkerPagesController {
  constructor(
    private readonly stats: WorkerStats,
    private readonly queues: QueueRegistry,
    private readonly pages: Pages,
  ) {}

  @Get()
  @Page()
  @RequirePermission('system.operate')
  async page(@Req() req: Request, @Res() res: Response): Promise<void> {
    const activity = await this.stats.activity();
    const failed = (
      await Promise.all(
        QUEUE_NAMES.map(async (queue) =>
          (await this.queues.get(queue).getFailed(0, FAILED_SHOWN - 1))
            .filter(Boolean)
            .map((job) => ({
              queue,
              id: String(job.id),
              name: job.name,
              attempts: job.attemptsMade,
              failedAt: job.finishedOn ? new Date(job.finishedOn) : null,
              reason: (job.failedReason ?? '').slice(0, 300),
            })),
        ),
      )
    ).flat();
    this.pages.send(
      req,
      res,
      'admin/workers',
      {
        queues: activity.map((a) => ({
          ...a,
          p95: a.p95JobMs === null ? '—' : `${a.p95JobMs} ms`,
          oldestWaiting: seconds(a.oldestWaitingMs),
        })),
        failed,
        bullBoard: '/admin/queues',
      },
      { title: 'Workers' },
    );
  }

  @Post('jobs/:queue/:id/retry')
  @Page()
  @RequirePermission('system.operate')
  async retry(
    @Param('queue') queue: string,
    @Param('id') id: string,
    @Res() res: Response,
  ): Promise<void> {
    const job = await this.failedJob(queue, id);
    await job.retry();
    res.redirect(303, '/admin/workers');
  }

  @Post('jobs/:queue/:id/discard')
  @Page()
  @RequirePermission('system.operate')
  async discard(
    @Param('queue') queue: string,
    @Param('id') id: string,
    @Body() _body: unknown,
    @Res() res: Response,
  ): Promise<void> {
    const job = await this.failedJob(queue, id);
    await job.remove();
    res.redirect(303, '/admin/workers');
  }

  private async failedJob(queue: string, id: string) {
    if (!(QUEUE_NAMES as string[]).includes(queue))
      throw new BadRequestException(`queue must be one of ${QUEUE_NAMES.join(', ')}`);
    if (!/^[\w:.-]{1,300}$/.test(id)) throw new BadRequestException('Not a job id');
    const job = await this.queues.get(queue as QueueName).getJob(id);
    if (!job) throw new NotFoundException(`No job ${id} on ${queue}`);
    if (!(await job.isFailed()))
      throw new ConflictException(
        `Job ${id} on ${queue} has not failed; only failed jobs are retried or discarded`,
      );
    return job;
  }
}

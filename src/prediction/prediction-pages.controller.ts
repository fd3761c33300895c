import { Body, Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Audited } from '../audit/audit.decorators';
import { Page, RequirePermission } from '../auth/access.decorators';
import type { AppRequest } from '../auth/principal';
import { DetailedHttpError } from '../common/error-body';
import { Pages } from '../web/pages.service';
import { ChurnScoringService } from './churn-scoring.service';
import { PredictionController } from './prediction.controller';
import { ModelRegistryService } from './model-registry.service';
import { PredictionQueryService } from './prediction-query.service';
import { TrainingLauncher } from './training-launcher.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
type FormBody = Record<string, unknown>;
const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const pct = (v: unknown) => (typeof v === 'number' ? `${(v * 100).toFixed(1)}%` : '—');
const num = (v: unknown, digits = 3) => (typeof v === 'number' ? v.toFixed(digits) : '—');

/** The model registry page (admin) and the override form on the manager's tutor page. */
@ApiExcludeController()
@Controller()
export class PredictionPagesController {
  constructor(
    private readonly registry: ModelRegistryService,
    private readonly launcher: TrainingLauncher,
    private readonly query: PredictionQueryService,
    private readonly scoring: ChurnScoringService,
    private readonly api: PredictionController,
    private readonly pages: Pages,
  ) {}

  @Get('admin/models')
  @Page()
  @RequirePermission('models.manage')
  async models(@Req() req: AppRequest, @Res() res: Response) {
    await this.renderModels(req, res);
  }

  private async renderModels(
    req: AppRequest,
    res: Response,
    flash: { kind: 'info' | 'error'; text: string } | null = null,
    status = 200,
  ) {
    const [models, runs] = await Promise.all([this.registry.list(), this.launcher.runs(10)]);
    const metricsOf = (m: Record<string, unknown>, split: string) =>
      (m[split] ?? {}) as Record<string, unknown>;
    const rows = models.map((m) => {
      const metrics = m.metrics;
      const test = metricsOf(metrics, 'test');
      const validation = metricsOf(metrics, 'validation');
      const live = metricsOf(metrics, 'live');
      return {
        version: m.version,
        kind: m.kind === 'churn' ? `Churn, ${m.windowDays} days` : 'First session',
        status: m.status,
        active: m.status === 'active',
        trained: `${m.trainedFrom} – ${m.trainedTo}`,
        validationAuc: num(validation.auc),
        testAuc: num(test.auc),
        brier: num(test.brier),
        topDecile: pct(test.topDecilePrecision),
        testRows: typeof test.rows === 'number' ? test.rows : '—',
        liveAuc: num(live.auc),
        decision: typeof metrics.decision === 'string' ? metrics.decision : '',
        calibration: Array.isArray(test.calibration)
          ? (
              test.calibration as {
                from: number;
                to: number;
                count: number;
                meanPredicted: number;
                observedRate: number;
              }[]
            ).map((b) => ({
              range: `${b.from.toFixed(1)}–${b.to.toFixed(1)}`,
              count: b.count,
              predicted: pct(b.meanPredicted),
              observed: pct(b.observedRate),
            }))
          : [],
      };
    });
    const windows = [1, 7, 30, 90].map((w) => {
      const active = models.find(
        (m) => m.kind === 'churn' && m.windowDays === w && m.status === 'active',
      );
      return { window: `${w} days`, version: active?.version ?? 'none: weighted score' };
    });
    const firstSession = models.find((m) => m.kind === 'first_session' && m.status === 'active');
    windows.push({ window: 'First session', version: firstSession?.version ?? 'none: heuristic' });
    const busy = runs.some((r) => r.status === 'queued' || r.status === 'running');
    this.pages.send(
      req,
      res,
      'admin/models',
      {
        windows,
        models: rows,
        runs: runs.map((r) => ({
          ...r,
          running: r.status === 'queued' || r.status === 'running',
          decisions: Array.isArray((r.result as { decisions?: unknown } | null)?.decisions)
            ? ((r.result as { decisions: { version: string; status: string; reason: string }[] })
                .decisions as { version: string; status: string; reason: string }[])
            : [],
          skipped: Array.isArray((r.result as { skipped?: unknown } | null)?.skipped)
            ? ((r.result as { skipped: { windowDays: number; kind: string; reason: string }[] })
                .skipped as { windowDays: number; kind: string; reason: string }[])
            : [],
        })),
        busy,
      },
      { title: 'Models', status, flash },
    );
  }

  @Post('admin/models/train')
  @Page()
  @RequirePermission('models.manage')
  @Audited({ resource: 'training_run', action: 'prediction.training_started' })
  async train(@Req() req: AppRequest, @Res() res: Response) {
    try {
      await this.launcher.start(req.principal!.id);
    } catch (error) {
      if (error instanceof DetailedHttpError && error.statusCode === 409) {
        return this.renderModels(req, res, { kind: 'error', text: error.message }, 409);
      }
      throw error;
    }
    res.redirect(303, '/admin/models');
  }

  @Post('tutors/:id/risk-override')
  @Page()
  @RequirePermission('prediction.override')
  @Audited({ resource: 'tutor', action: 'risk.override_set' })
  async override(
    @Req() req: AppRequest,
    @Res() res: Response,
    @Param('id') id: string,
    @Body() body: FormBody,
  ) {
    if (!UUID.test(id)) throw new DetailedHttpError(404, 'no such tutor');
    if (text(body.action) === 'clear') {
      await this.scoring.setOverride(id, null);
      return res.redirect(303, `/tutors/${id}`);
    }
    const score = Number(text(body.score));
    if (!Number.isInteger(score) || score < 0 || score > 100)
      throw new DetailedHttpError(400, 'score must be a whole number from 0 to 100');
    const reason = text(body.reason);
    if (reason.length < 5)
      throw new DetailedHttpError(400, 'give a reason of at least 5 characters');
    const day = text(body.expiresOn);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day))
      throw new DetailedHttpError(400, 'choose the day the override ends');
    const expiresAt = this.api.checkExpiry(`${day}T23:59:59Z`);
    const done = await this.scoring.setOverride(id, {
      score,
      reason: reason.slice(0, 1000),
      expiresAt,
      userId: req.principal!.id,
    });
    if (!done) throw new DetailedHttpError(404, 'this tutor has not been scored yet');
    res.redirect(303, `/tutors/${id}`);
  }
}

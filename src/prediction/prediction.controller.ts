import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Audited } from '../audit/audit.decorators';
import { RequirePermission } from '../auth/access.decorators';
import type { AppRequest } from '../auth/principal';
import { Clock } from '../common/clock';
import { DetailedHttpError } from '../common/error-body';
import { ChurnScoringService } from './churn-scoring.service';
import { RiskHistoryQuery, RiskOverrideDto } from './dto/prediction-api.dto';
import { ModelRegistryService } from './model-registry.service';
import { PredictionQueryService } from './prediction-query.service';
import { TrainingLauncher } from './training-launcher.service';

export const MAX_OVERRIDE_DAYS = 90;

/** Churn scores, history, factors, overrides; the model registry and training runs. */
@ApiTags('prediction')
@Controller('api/v1')
export class PredictionController {
  constructor(
    private readonly query: PredictionQueryService,
    private readonly scoring: ChurnScoringService,
    private readonly registry: ModelRegistryService,
    private readonly launcher: TrainingLauncher,
    private readonly clock: Clock,
  ) {}

  @Get('tutors/:id/risk')
  @RequirePermission('tutors.read_risk')
  @ApiOperation({
    summary:
      "A tutor's churn score (0–100), band, 1/7/30/90-day probabilities, top factors and override",
  })
  risk(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.query.risk(id);
  }

  @Get('tutors/:id/risk/history')
  @RequirePermission('tutors.read_risk')
  @ApiOperation({ summary: "A tutor's past churn scores, newest first" })
  history(@Param('id', new ParseUUIDPipe()) id: string, @Query() q: RiskHistoryQuery) {
    return this.query.history(id, q.limit ?? 90);
  }

  @Put('tutors/:id/risk/override')
  @RequirePermission('prediction.override')
  @Audited({ resource: 'tutor', action: 'risk.override_set' })
  @ApiOperation({ summary: "Override a tutor's churn score with a reason, until an expiry" })
  async override(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: RiskOverrideDto,
    @Req() req: AppRequest,
  ) {
    const expiresAt = this.checkExpiry(body.expiresAt);
    const done = await this.scoring.setOverride(id, {
      score: body.score,
      reason: body.reason.trim(),
      expiresAt,
      userId: req.principal!.id,
    });
    if (!done) throw new DetailedHttpError(404, 'this tutor has not been scored yet');
    return this.query.risk(id);
  }

  @Delete('tutors/:id/risk/override')
  @RequirePermission('prediction.override')
  @Audited({ resource: 'tutor', action: 'risk.override_cleared' })
  @ApiOperation({ summary: 'Remove an override: the scored value applies again' })
  async clearOverride(@Param('id', new ParseUUIDPipe()) id: string) {
    const done = await this.scoring.setOverride(id, null);
    if (!done) throw new DetailedHttpError(404, 'this tutor has not been scored yet');
    return this.query.risk(id);
  }

  /** The expiry must lie in the future and within MAX_OVERRIDE_DAYS. */
  checkExpiry(value: string): Date {
    const at = new Date(value);
    const now = this.clock.now().getTime();
    if (Number.isNaN(at.getTime())) throw new DetailedHttpError(400, 'expiresAt is not a date');
    if (at.getTime() <= now) throw new DetailedHttpError(400, 'expiresAt must be in the future');
    if (at.getTime() > now + MAX_OVERRIDE_DAYS * 86_400_000)
      throw new DetailedHttpError(400, `expiresAt must be within ${MAX_OVERRIDE_DAYS} days`);
    return at;
  }

  @Get('prediction/risk-distribution')
  @RequirePermission('tutors.read_risk')
  @ApiOperation({ summary: 'Tutors per risk band (effective scores)' })
  distribution() {
    return this.query.distribution();
  }

  @Get('prediction/explanation')
  @RequirePermission('tutors.read_risk')
  @ApiOperation({ summary: 'What the churn and first-session scores read, in plain words' })
  explanation() {
    return this.query.explanation();
  }

  @Get('prediction/first-sessions')
  @RequirePermission('tutors.read_risk')
  @ApiOperation({ summary: 'Upcoming first sessions by risk, with their factors' })
  firstSessions() {
    return this.query.upcomingFirstSessions();
  }

  @Get('prediction/models')
  @RequirePermission('models.manage')
  @ApiOperation({ summary: 'The model registry: versions, windows, metrics and status' })
  async models() {
    return { items: (await this.registry.list()).map((m) => this.query.modelView(m)) };
  }

  @Get('prediction/models/:id')
  @RequirePermission('models.manage')
  @ApiOperation({ summary: 'One model with its metrics (without the weights)' })
  async model(@Param('id', new ParseUUIDPipe()) id: string) {
    const m = await this.registry.get(id);
    if (!m) throw new DetailedHttpError(404, `model ${id} does not exist`);
    return this.query.modelView(m);
  }

  @Get('prediction/training-runs')
  @RequirePermission('models.manage')
  @ApiOperation({ summary: 'Recent training runs with their progress' })
  async runs() {
    return { items: await this.launcher.runs() };
  }

  @Get('prediction/training-runs/:id')
  @RequirePermission('models.manage')
  @ApiOperation({ summary: 'One training run: stage, progress, peak memory, decisions' })
  async run(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.launcher.get(id);
  }

  @Post('prediction/training-runs')
  @HttpCode(202)
  @RequirePermission('models.manage')
  @Audited({ resource: 'training_run', action: 'prediction.training_started' })
  @ApiOperation({ summary: 'Train every model now (queued on the training queue)' })
  async train(@Req() req: AppRequest) {
    return this.launcher.start(req.principal!.id);
  }
}

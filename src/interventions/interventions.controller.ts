import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { csvLine } from '../audit/audit-csv';
import { Audited } from '../audit/audit.decorators';
import { RequirePermission } from '../auth/access.decorators';
import type { AppRequest } from '../auth/principal';
import { DetailedHttpError } from '../common/error-body';
import {
  AssignDto,
  BulkAssignDto,
  ConfigDocumentDto,
  CreateInterventionDto,
  InterventionListQuery,
  NoteDto,
  PriorityDto,
  TransitionDto,
} from './dto/intervention.dto';
import { InterventionAnalytics } from './intervention-analytics.service';
import { ConfigKind, InterventionConfigService } from './intervention-config.service';
import { actorOf, InterventionsService } from './interventions.service';

const uuid = new ParseUUIDPipe({
  exceptionFactory: () => new DetailedHttpError(400, 'id must be a UUID'),
});
const kindOf = (kind: string): ConfigKind => {
  if (kind !== 'rules' && kind !== 'sla')
    throw new DetailedHttpError(404, 'configurations are rules and sla');
  return kind;
};

@ApiTags('interventions')
@Controller('api/v1/interventions')
export class InterventionsController {
  constructor(
    private readonly interventions: InterventionsService,
    private readonly analytics: InterventionAnalytics,
    private readonly config: InterventionConfigService,
  ) {}

  @Get()
  @RequirePermission('interventions.read')
  @ApiOperation({
    summary: 'The queue: filters, sorting, keyset pages (people_ops: own and unassigned)',
  })
  list(@Query() q: InterventionListQuery, @Req() req: AppRequest) {
    return this.interventions.list(q, actorOf(req.principal));
  }

  @Post()
  @RequirePermission('interventions.work')
  @ApiOperation({ summary: 'Create a manual intervention' })
  async create(@Body() body: CreateInterventionDto, @Req() req: AppRequest) {
    const actor = actorOf(req.principal);
    const iv = await this.interventions.create(body, actor);
    return this.interventions.get(iv.id, { ...actor, canAssign: true });
  }

  @Get('stats')
  @RequirePermission('interventions.read')
  @ApiOperation({
    summary:
      'Counters (open, at risk, breached, due today/this week, completed this week), by status and type',
  })
  stats(@Req() req: AppRequest) {
    return this.analytics.stats(actorOf(req.principal));
  }

  @Get('effectiveness')
  @RequirePermission('interventions.read')
  @ApiOperation({
    summary:
      'Per type: completion rate, outcomes, median time to resolve, SLA compliance, 30-day metric change',
  })
  effectiveness() {
    return this.analytics.effectiveness();
  }

  @Get('staff')
  @RequirePermission('interventions.read')
  @ApiOperation({ summary: 'Users who may be assigned interventions' })
  async staff() {
    const items = await this.interventions.staff();
    return {
      items: items.map(({ id, fullName, roles }) => ({ id, fullName, roles })),
      nextCursor: null,
    };
  }

  @Get('export.csv')
  @RequirePermission('interventions.read')
  @ApiOperation({ summary: 'CSV export of the filtered queue (streamed in pages of 1,000)' })
  async export(@Query() q: InterventionListQuery, @Req() req: AppRequest, @Res() res: Response) {
    const actor = actorOf(req.principal);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', 'attachment; filename="interventions.csv"');
    res.write(
      csvLine([
        'id',
        'tutorId',
        'tutor',
        'type',
        'priority',
        'status',
        'slaState',
        'slaDueAt',
        'assignee',
        'createdAt',
        'resolvedAt',
        'outcome',
        'ruleId',
        'reason',
      ]),
    );
    let cursor: string | undefined = q.cursor;
    for (;;) {
      const page = await this.interventions.list({ ...q, limit: 1000, cursor }, actor);
      for (const i of page.items)
        res.write(
          csvLine([
            i.id,
            i.tutorId,
            i.tutorName,
            i.type,
            i.priority,
            i.status,
            i.slaState,
            i.slaDueAt,
            i.assigneeName,
            i.createdAt,
            i.resolvedAt,
            i.outcome,
            i.ruleId,
            i.reason,
          ]),
        );
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    res.end();
  }

  @Get('config/:kind')
  @RequirePermission('interventions.configure')
  @ApiOperation({
    summary: 'The rule configuration (rules) or SLA policies and calendar (sla) in force',
  })
  getConfig(@Param('kind') kind: string) {
    return this.config.current(kindOf(kind));
  }

  @Put('config/:kind')
  @RequirePermission('interventions.configure')
  @ApiOperation({
    summary: 'Save a new version (validated); an SLA change recomputes open interventions',
  })
  async putConfig(
    @Param('kind') kind: string,
    @Body() body: ConfigDocumentDto,
    @Req() req: AppRequest,
  ) {
    const k = kindOf(kind);
    const saved = await this.config.saveVersion(k, body.document, actorOf(req.principal).userId);
    const recomputed = k === 'sla' ? await this.interventions.recomputeOpen() : 0;
    return { ...saved, recomputed };
  }

  @Post('bulk-assign')
  @HttpCode(200)
  @RequirePermission('interventions.assign')
  @ApiOperation({ summary: 'Assign many; answers which were assigned and which failed and why' })
  bulkAssign(@Body() body: BulkAssignDto, @Req() req: AppRequest) {
    return this.interventions.bulkAssign(body.ids, body.assigneeId, actorOf(req.principal));
  }

  @Get(':id')
  @RequirePermission('interventions.read')
  @ApiOperation({ summary: 'One intervention with evidence, SLA clocks, history and notes' })
  get(@Param('id', uuid) id: string, @Req() req: AppRequest) {
    return this.interventions.get(id, actorOf(req.principal));
  }

  @Post(':id/assign')
  @HttpCode(200)
  @RequirePermission('interventions.assign')
  async assign(@Param('id', uuid) id: string, @Body() body: AssignDto, @Req() req: AppRequest) {
    const actor = actorOf(req.principal);
    await this.interventions.assign(id, body.assigneeId, actor, body.note);
    return this.interventions.get(id, actor);
  }

  @Post(':id/priority')
  @HttpCode(200)
  @RequirePermission('interventions.assign')
  @Audited({ resource: 'intervention', action: 'intervention.priority_changed' })
  @ApiOperation({
    summary:
      'Change the priority: SLA targets recomputed from the history (paused time kept), recorded in the history',
  })
  async priority(@Param('id', uuid) id: string, @Body() body: PriorityDto, @Req() req: AppRequest) {
    const actor = actorOf(req.principal);
    await this.interventions.changePriority(id, body.priority, body.note, actor);
    return this.interventions.get(id, actor);
  }

  @Post(':id/transitions')
  @HttpCode(200)
  @RequirePermission('interventions.work')
  @ApiOperation({
    summary:
      'Move through the workflow: 409 if not allowed, 400 without a required outcome or reason',
  })
  async transition(
    @Param('id', uuid) id: string,
    @Body() body: TransitionDto,
    @Req() req: AppRequest,
  ) {
    const actor = actorOf(req.principal);
    await this.interventions.transition(id, body, actor);
    return this.interventions.get(id, { ...actor, canAssign: true });
  }

  @Get(':id/notes')
  @RequirePermission('interventions.read')
  async notes(@Param('id', uuid) id: string, @Req() req: AppRequest) {
    const detail = await this.interventions.get(id, actorOf(req.principal));
    return { items: detail.notes, nextCursor: null };
  }

  @Post(':id/notes')
  @RequirePermission('interventions.work')
  addNote(@Param('id', uuid) id: string, @Body() body: NoteDto, @Req() req: AppRequest) {
    return this.interventions.addNote(id, body.body, actorOf(req.principal));
  }
}

import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Page as PageRoute, RequirePermission } from '../auth/access.decorators';
import type { AppRequest } from '../auth/principal';
import { auditContextOf } from '../audit/audit-request';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { DetailedHttpError } from '../common/error-body';
import { Page } from '../common/pagination';
import { Pages } from '../web/pages.service';
import { LegalHold } from './entities/legal-hold.entity';
import { LegalHoldBody, ReasonBody, RequestListQuery, StaffCreateRequestBody } from './gdpr.dto';
import { GdprService } from './gdpr.service';
import { RETENTION_POLICY } from './retention-policy';
import { RetentionService } from './retention.service';
import { KIND_LABELS, RequestView, requestView, sendArchive } from './privacy.controller';

const uuid = new ParseUUIDPipe({ version: undefined, errorHttpStatusCode: 400 });

const SLA_LABELS: Record<string, string> = {
  on_track: 'On track',
  at_risk: 'Due within 7 days',
  breached: 'Overdue',
  met: 'Answered in time',
  missed: 'Answered late',
};

/** Staff handling of GDPR requests and legal holds (compliance.manage): API and pages. */
@ApiTags('compliance')
@Controller()
export class ComplianceRequestsController {
  constructor(
    private readonly gdpr: GdprService,
    private readonly audit: AuditService,
    private readonly pages: Pages,
    private readonly clock: Clock,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly retentionSweep: RetentionService,
  ) {}

  @Get('api/v1/compliance/gdpr-requests')
  @RequirePermission('compliance.manage')
  @ApiOperation({ summary: 'GDPR requests, soonest due first, with SLA state' })
  async list(
    @Query() query: RequestListQuery,
  ): Promise<Page<RequestView & { subjectUserId: string }>> {
    const page = await this.gdpr.list({ status: query.status }, query);
    const now = this.clock.now();
    return {
      items: page.items.map((r) => ({ ...requestView(r, now), subjectUserId: r.subjectUserId })),
      nextCursor: page.nextCursor,
    };
  }

  @Post('api/v1/compliance/gdpr-requests')
  @RequirePermission('compliance.manage')
  @ApiOperation({
    summary: 'Record a request received by another channel (email, letter) for a user',
  })
  async create(@Body() body: StaffCreateRequestBody, @Req() req: AppRequest) {
    const { subjectUserId, ...input } = body;
    const r = await this.gdpr.create(subjectUserId, input, auditContextOf(req).actor);
    return { ...requestView(r, this.clock.now()), subjectUserId };
  }

  @Post('api/v1/compliance/gdpr-requests/:id/complete')
  @RequirePermission('compliance.manage')
  @ApiOperation({ summary: 'Carry out the request (erasure is refused under a legal hold)' })
  async complete(@Param('id', uuid) id: string, @Req() req: AppRequest) {
    return requestView(await this.gdpr.complete(id, auditContextOf(req).actor), this.clock.now());
  }

  @Post('api/v1/compliance/gdpr-requests/:id/refuse')
  @RequirePermission('compliance.manage')
  async refuse(@Param('id', uuid) id: string, @Body() body: ReasonBody, @Req() req: AppRequest) {
    return requestView(
      await this.gdpr.refuse(id, body.reason, auditContextOf(req).actor),
      this.clock.now(),
    );
  }

  @Post('api/v1/compliance/gdpr-requests/:id/extend')
  @RequirePermission('compliance.manage')
  @ApiOperation({ summary: 'Extend the deadline once, by 60 days, with a reason' })
  async extend(@Param('id', uuid) id: string, @Body() body: ReasonBody, @Req() req: AppRequest) {
    return requestView(
      await this.gdpr.extend(id, body.reason, auditContextOf(req).actor),
      this.clock.now(),
    );
  }

  @Get('api/v1/compliance/gdpr-requests/:id/archive')
  @RequirePermission('compliance.manage')
  async archive(@Param('id', uuid) id: string, @Res() res: Response): Promise<void> {
    const r = await this.gdpr.get(id);
    sendArchive(res, r, await this.gdpr.archive(r));
  }

  @Post('api/v1/compliance/legal-holds')
  @RequirePermission('compliance.manage')
  @ApiOperation({
    summary:
      'Place a legal hold on a person: no erasure, anonymisation or retention while it lasts',
  })
  async hold(@Body() body: LegalHoldBody, @Req() req: AppRequest) {
    const subject = await this.gdpr.subjectOf(body.subjectUserId);
    const actor = auditContextOf(req).actor;
    const repo = this.dataSource.getRepository(LegalHold);
    const hold = await repo.save(
      repo.create({
        subjectUserId: subject.userId,
        tutorId: subject.tutorId,
        studentId: subject.studentId,
        reason: body.reason.trim(),
        placedByUserId: actor.type === 'user' ? actor.id : null,
      }),
    );
    await this.audit.record({
      action: 'compliance.legal_hold_placed',
      outcome: 'success',
      actor,
      resourceType: 'user',
      resourceId: subject.userId,
      details: { holdId: hold.id },
    });
    return hold;
  }

  @Post('api/v1/compliance/legal-holds/:id/release')
  @RequirePermission('compliance.manage')
  async release(@Param('id', uuid) id: string, @Req() req: AppRequest) {
    const repo = this.dataSource.getRepository(LegalHold);
    const hold = await repo.findOneBy({ id });
    if (!hold) throw new DetailedHttpError(404, `No legal hold with id ${id}`);
    if (hold.releasedAt) throw new DetailedHttpError(409, 'The hold is already released');
    hold.releasedAt = this.clock.now();
    await repo.save(hold);
    await this.audit.record({
      action: 'compliance.legal_hold_released',
      outcome: 'success',
      actor: auditContextOf(req).actor,
      resourceType: 'user',
      resourceId: hold.subjectUserId,
      details: { holdId: hold.id },
    });
    return hold;
  }

  @Get('compliance/requests')
  @RequirePermission('compliance.manage')
  @PageRoute()
  async queue(
    @Query() query: RequestListQuery,
    @Req() req: AppRequest,
    @Res() res: Response,
  ): Promise<void> {
    const status = query.status ?? 'received';
    const page = await this.gdpr.list({ status }, query);
    const now = this.clock.now();
    const counts: { status: string; sla: string; n: number }[] = await this.dataSource.query(
      `SELECT status, CASE WHEN status <> 'received' THEN status
                           WHEN due_at < $1 THEN 'breached'
                           WHEN due_at < $1 + interval '7 days' THEN 'at_risk' ELSE 'on_track' END AS sla,
              count(*)::int AS n
         FROM gdpr_requests GROUP BY 1, 2`,
      [now],
    );
    const count = (sla: string) => counts.filter((c) => c.sla === sla).reduce((a, c) => a + c.n, 0);
    this.pages.send(
      req,
      res,
      'compliance/requests',
      {
        status,
        statuses: ['received', 'completed', 'refused'].map((s) => ({
          value: s,
          selected: s === status,
        })),
        counters: [
          { label: 'Overdue', n: count('breached'), sla: 'breached' },
          { label: 'Due within 7 days', n: count('at_risk'), sla: 'at_risk' },
          { label: 'On track', n: count('on_track'), sla: 'on_track' },
        ],
        rows: page.items.map((r) => {
          const v = requestView(r, now);
          const daysLeft = Math.ceil((r.dueAt.getTime() - now.getTime()) / 86_400_000);
          return {
            ...v,
            kindLabel: KIND_LABELS[r.kind],
            slaLabel: SLA_LABELS[v.sla],
            daysLeft:
              r.status === 'received'
                ? daysLeft >= 0
                  ? `${daysLeft} d left`
                  : `${-daysLeft} d late`
                : '',
            subjectUserId: r.subjectUserId,
          };
        }),
        nextHref: page.nextCursor
          ? `/compliance/requests?status=${status}&cursor=${encodeURIComponent(page.nextCursor)}`
          : null,
      },
      { title: 'Privacy requests' },
    );
  }

  @Get('api/v1/compliance/retention')
  @RequirePermission('compliance.manage')
  @ApiOperation({
    summary:
      'The retention policy, which classes may act, and the last sweep (dry-run counts and actions)',
  })
  async retentionReport() {
    const [enabled, last] = await Promise.all([
      this.retentionSweep.enabled(),
      this.retentionSweep.lastRun(),
    ]);
    return {
      classes: RETENTION_POLICY.map((c) => ({
        ...c,
        actionable: RetentionService.ACTIONABLE.includes(c.key),
        actingEnabled: enabled.has(c.key),
      })),
      lastRun: last,
    };
  }

  @Post('api/v1/compliance/retention/sweep')
  @RequirePermission('compliance.manage')
  @ApiOperation({ summary: 'Run the sweep now (what the daily job does)' })
  sweepNow(@Req() req: AppRequest) {
    return this.retentionSweep.sweep(auditContextOf(req).actor);
  }

  @Post('api/v1/compliance/retention/:classKey/acting')
  @RequirePermission('compliance.manage')
  @ApiOperation({ summary: 'Let the sweep act (true) or only report (false) for one class' })
  async setActing(
    @Param('classKey') key: string,
    @Body() body: { enabled?: unknown },
    @Req() req: AppRequest,
  ) {
    if (typeof body?.enabled !== 'boolean')
      throw new DetailedHttpError(400, 'enabled must be true or false');
    await this.retentionSweep.setActing(key, body.enabled, auditContextOf(req).actor);
    return { classKey: key, actingEnabled: body.enabled };
  }

  @Get('compliance/retention')
  @RequirePermission('compliance.manage')
  @PageRoute()
  async retention(@Req() req: AppRequest, @Res() res: Response): Promise<void> {
    const report = await this.retentionReport();
    this.pages.send(
      req,
      res,
      'compliance/retention',
      {
        classes: report.classes.map((c) => ({
          ...c,
          days: c.days ?? 'at once',
          due: report.lastRun ? (report.lastRun.due[c.key] ?? 0) : '—',
          acted: report.lastRun ? (report.lastRun.acted[c.key] ?? 0) : '—',
        })),
        lastRunAt: report.lastRun?.ranAt ?? null,
      },
      { title: 'Data retention' },
    );
  }

  @Post('compliance/retention/:classKey/acting')
  @RequirePermission('compliance.manage')
  @PageRoute()
  async setActingFromPage(
    @Param('classKey') key: string,
    @Body() body: Record<string, unknown>,
    @Req() req: AppRequest,
    @Res() res: Response,
  ): Promise<void> {
    await this.retentionSweep.setActing(key, body.enabled === 'true', auditContextOf(req).actor);
    res.redirect(303, '/compliance/retention');
  }

  @Post('compliance/retention/sweep')
  @RequirePermission('compliance.manage')
  @PageRoute()
  async sweepFromPage(@Req() req: AppRequest, @Res() res: Response): Promise<void> {
    await this.retentionSweep.sweep(auditContextOf(req).actor);
    res.redirect(303, '/compliance/retention');
  }

  @Get('compliance/requests/:id')
  @RequirePermission('compliance.manage')
  @PageRoute()
  async detail(
    @Param('id', uuid) id: string,
    @Req() req: AppRequest,
    @Res() res: Response,
  ): Promise<void> {
    const r = await this.gdpr.get(id);
    const now = this.clock.now();
    const v = requestView(r, now);
    const subject = await this.gdpr.subjectOf(r.subjectUserId);
    const hold = await this.gdpr.legalHold(subject);
    const error = typeof req.query.error === 'string' ? req.query.error.slice(0, 300) : null;
    this.pages.send(
      req,
      res,
      'compliance/request',
      {
        r: {
          ...v,
          kindLabel: KIND_LABELS[r.kind],
          slaLabel: SLA_LABELS[v.sla],
          subjectUserId: r.subjectUserId,
        },
        detailsJson: JSON.stringify(r.details, null, 2),
        open: r.status === 'received',
        canExtend: r.status === 'received' && !r.extendedAt,
        hold,
        error,
      },
      { title: 'Privacy request', flash: error ? { kind: 'error', text: error } : null },
    );
  }

  @Post('compliance/requests/:id/:action')
  @RequirePermission('compliance.manage')
  @PageRoute()
  async act(
    @Param('id', uuid) id: string,
    @Param('action') action: string,
    @Body() body: Record<string, unknown>,
    @Req() req: AppRequest,
    @Res() res: Response,
  ): Promise<void> {
    const actor = auditContextOf(req).actor;
    const reason = typeof body.reason === 'string' ? body.reason : '';
    try {
      if (action === 'complete') await this.gdpr.complete(id, actor);
      else if (action === 'refuse') await this.gdpr.refuse(id, reason, actor);
      else if (action === 'extend') await this.gdpr.extend(id, reason, actor);
      else throw new DetailedHttpError(404, `No action ${action}; use complete, refuse or extend`);
    } catch (error) {
      if (error instanceof DetailedHttpError && error.statusCode !== 404) {
        return res.redirect(
          303,
          `/compliance/requests/${id}?error=${encodeURIComponent(error.message)}`,
        );
      }
      throw error;
    }
    res.redirect(303, `/compliance/requests/${id}`);
  }
}

import {
  Body,
  Controller,
  ForbiddenException,
  Get,
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
import { Page as PageRoute, RequirePermission } from '../auth/access.decorators';
import type { AppRequest, Principal } from '../auth/principal';
import { auditContextOf } from '../audit/audit-request';
import { Page, PageQuery } from '../common/pagination';
import { Pages } from '../web/pages.service';
import { CONSENT_PURPOSES, ConsentPurpose } from './entities/privacy-consent.entity';
import { GDPR_REQUEST_KINDS, GdprRequest, GdprRequestKind } from './entities/gdpr-request.entity';
import { ConsentBody, CreatePrivacyRequestBody, RequestListQuery } from './gdpr.dto';
import { GdprService, RECTIFIABLE_FIELDS, slaOf } from './gdpr.service';
import { Clock } from '../common/clock';
import { DetailedHttpError } from '../common/error-body';

const uuid = new ParseUUIDPipe({ version: undefined, errorHttpStatusCode: 400 });

export const KIND_LABELS: Record<GdprRequestKind, string> = {
  access: 'A copy of my data (access)',
  portability: 'My data in a portable format (portability)',
  erasure: 'Erase my personal data (erasure)',
  rectification: 'Correct my data (rectification)',
  restriction: 'Restrict processing of my data (restriction)',
  objection: 'Object to profiling (objection)',
};

export function userOf(principal: Principal | undefined): Principal & { kind: 'user' } {
  if (!principal || principal.kind !== 'user')
    throw new ForbiddenException('Privacy requests are made by a signed-in person');
  return principal;
}

export function requestView(r: GdprRequest, now: Date) {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    receivedAt: r.receivedAt,
    dueAt: r.dueAt,
    extendedAt: r.extendedAt,
    extensionReason: r.extensionReason,
    resolution: r.resolution,
    completedAt: r.completedAt,
    details: r.details,
    sla: slaOf(r, now),
    archiveAvailable: (r.kind === 'access' || r.kind === 'portability') && r.status === 'completed',
  };
}
export type RequestView = ReturnType<typeof requestView>;

/** Sends an archive as one JSON download. */
export function sendArchive(res: Response, r: GdprRequest, archive: Record<string, unknown>): void {
  res
    .status(200)
    .type('application/json')
    .setHeader('Content-Disposition', `attachment; filename="tutormax-data-${r.id}.json"`)
    .setHeader('Cache-Control', 'no-store')
    .send(JSON.stringify(archive, null, 2));
}

/** Self-service privacy for a signed-in user: their own GDPR requests, archive and consents. */
@ApiTags('privacy')
@Controller()
export class PrivacyController {
  constructor(
    private readonly gdpr: GdprService,
    private readonly pages: Pages,
    private readonly clock: Clock,
  ) {}

  @Get('api/v1/privacy/requests')
  @RequirePermission('self.read')
  @ApiOperation({ summary: 'My privacy (GDPR) requests, soonest due first' })
  async list(@Query() query: RequestListQuery, @Req() req: AppRequest): Promise<Page<RequestView>> {
    const user = userOf(req.principal);
    const page = await this.gdpr.list({ subjectUserId: user.id, status: query.status }, query);
    const now = this.clock.now();
    return { items: page.items.map((r) => requestView(r, now)), nextCursor: page.nextCursor };
  }

  @Post('api/v1/privacy/requests')
  @RequirePermission('self.read')
  @ApiOperation({
    summary:
      'Make a privacy request: access, portability, erasure, rectification, restriction, objection',
  })
  async create(
    @Body() body: CreatePrivacyRequestBody,
    @Req() req: AppRequest,
  ): Promise<RequestView> {
    const user = userOf(req.principal);
    const r = await this.gdpr.create(user.id, body, auditContextOf(req).actor);
    return requestView(r, this.clock.now());
  }

  @Get('api/v1/privacy/requests/:id/archive')
  @RequirePermission('self.read')
  @ApiOperation({
    summary:
      'Download the archive of a completed access or portability request (JSON with CSV per table)',
  })
  async archive(
    @Param('id', uuid) id: string,
    @Req() req: AppRequest,
    @Res() res: Response,
  ): Promise<void> {
    const user = userOf(req.principal);
    const r = await this.gdpr.get(id);
    if (r.subjectUserId !== user.id && !user.permissions.has('compliance.manage'))
      throw new ForbiddenException('This is another person’s request');
    sendArchive(res, r, await this.gdpr.archive(r));
  }

  @Get('api/v1/privacy/consents')
  @RequirePermission('self.read')
  @ApiOperation({ summary: 'My consent per purpose (analytics, marketing, profiling)' })
  consents(@Req() req: AppRequest): Promise<Record<ConsentPurpose, boolean>> {
    return this.gdpr.consents(userOf(req.principal).id);
  }

  @Put('api/v1/privacy/consents')
  @RequirePermission('self.read')
  @ApiOperation({ summary: 'Give or withdraw consent for one purpose' })
  async setConsent(
    @Body() body: ConsentBody,
    @Req() req: AppRequest,
  ): Promise<Record<ConsentPurpose, boolean>> {
    const user = userOf(req.principal);
    await this.gdpr.setConsent(user.id, body.purpose, body.granted);
    return this.gdpr.consents(user.id);
  }

  @Get('privacy')
  @RequirePermission('self.read')
  @PageRoute()
  async page(@Req() req: AppRequest, @Res() res: Response): Promise<void> {
    const user = userOf(req.principal);
    const [page, consents] = await Promise.all([
      this.gdpr.list({ subjectUserId: user.id }, Object.assign(new PageQuery(), { limit: 100 })),
      this.gdpr.consents(user.id),
    ]);
    const now = this.clock.now();
    const notice = typeof req.query.done === 'string' ? req.query.done : null;
    this.pages.send(
      req,
      res,
      'privacy',
      {
        requests: page.items.map((r) => ({
          ...requestView(r, now),
          kindLabel: KIND_LABELS[r.kind],
        })),
        kinds: GDPR_REQUEST_KINDS.map((k) => ({ value: k, label: KIND_LABELS[k] })),
        consents: CONSENT_PURPOSES.map((p) => ({ purpose: p, granted: consents[p] })),
        fields: Object.keys(RECTIFIABLE_FIELDS).map((f) => ({ value: f })),
        notice:
          notice === 'request'
            ? 'Your request is recorded. We answer within 30 days.'
            : notice === 'consent'
              ? 'Your consent choice is saved.'
              : null,
      },
      { title: 'Privacy' },
    );
  }

  @Post('privacy/requests')
  @RequirePermission('self.read')
  @PageRoute()
  async createFromPage(
    @Body() body: Record<string, unknown>,
    @Req() req: AppRequest,
    @Res() res: Response,
  ): Promise<void> {
    const user = userOf(req.principal);
    const kind = String(body.kind ?? '') as GdprRequestKind;
    const field = typeof body.field === 'string' ? body.field : '';
    const value = typeof body.value === 'string' ? body.value : '';
    await this.gdpr.create(
      user.id,
      {
        kind: (GDPR_REQUEST_KINDS as readonly string[]).includes(kind)
          ? kind
          : ('' as GdprRequestKind),
        ...(kind === 'objection' ? { scope: 'profiling' } : {}),
        ...(kind === 'rectification' ? { changes: field ? { [field]: value } : {} } : {}),
        ...(typeof body.note === 'string' && body.note.trim() ? { note: body.note } : {}),
      },
      auditContextOf(req).actor,
    );
    res.redirect(303, '/privacy?done=request');
  }

  @Post('privacy/consents')
  @RequirePermission('self.read')
  @PageRoute()
  async consentFromPage(
    @Body() body: Record<string, unknown>,
    @Req() req: AppRequest,
    @Res() res: Response,
  ): Promise<void> {
    const user = userOf(req.principal);
    const purpose = String(body.purpose ?? '') as ConsentPurpose;
    if (!(CONSENT_PURPOSES as readonly string[]).includes(purpose))
      throw new DetailedHttpError(400, `purpose must be one of ${CONSENT_PURPOSES.join(', ')}`);
    await this.gdpr.setConsent(user.id, purpose, body.granted === 'true');
    res.redirect(303, '/privacy?done=consent');
  }
}

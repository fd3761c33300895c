import {
  Body,
  Controller,
  Get,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Response } from 'express';
import { Page as PageRoute, RequirePermission } from '../auth/access.decorators';
import type { AppRequest } from '../auth/principal';
import { auditContextOf } from '../audit/audit-request';
import { Clock } from '../common/clock';
import { DetailedHttpError, FieldError } from '../common/error-body';
import { Page, PageQuery } from '../common/pagination';
import { flattenValidationErrors } from '../common/validation';
import { Pages } from '../web/pages.service';
import { BreachInput, CreateBreachBody, UpdateBreachBody } from './breach-register.dto';
import {
  BreachRegisterService,
  BreachSlaState,
  BreachView,
  breachView,
  NOTIFICATION_DEADLINE_HOURS,
} from './breach-register.service';
import {
  BREACH_DATA_CATEGORIES,
  BREACH_SEVERITIES,
  BREACH_STATUSES,
  BREACH_SUBJECT_KINDS,
  BreachIncident,
} from './entities/breach-incident.entity';

const uuid = new ParseUUIDPipe({ version: undefined, errorHttpStatusCode: 400 });

const FORM_FIELDS = [
  'title',
  'description',
  'discoveredAt',
  'affectedRecordCount',
  'affectedCategories',
  'affectedSubjectCount',
  'affectedSubjectKinds',
  'severity',
  'status',
  'authorityNotifiedAt',
  'subjectsNotifiedAt',
  'actionsTaken',
] as const;
const LISTS = new Set(['affectedCategories', 'affectedSubjectKinds']);
const COUNTS = new Set(['affectedRecordCount', 'affectedSubjectCount']);
const TIMES = new Set(['discoveredAt', 'authorityNotifiedAt', 'subjectsNotifiedAt']);

/** `2026-11-26T07:30` (a datetime-local field, in UTC on this form) as ISO 8601. */
const formTime = (v: string) => (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(v) ? `${v}Z` : v);
/** An ISO time as a datetime-local value (UTC, minutes). */
const inputTime = (d: Date | null) => (d ? d.toISOString().slice(0, 16) : '');

/**
 * The form's fields as the API's body: lists from repeated checkboxes, whole
 * numbers from text, UTC times; an empty field is absent on create and
 * cleared (null) on update.
 */
function fromForm(body: Record<string, unknown>, creating: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of FORM_FIELDS) {
    const raw = body[field];
    if (LISTS.has(field)) {
      if (raw === undefined && !creating && body[`${field}Present`] === undefined) continue;
      out[field] = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(String);
      continue;
    }
    if (raw === undefined) continue;
    const v = typeof raw === 'string' ? raw.trim() : raw;
    if (v === '') {
      if (!creating) out[field] = null;
      continue;
    }
    if (COUNTS.has(field) && typeof v === 'string' && /^\d+$/.test(v)) out[field] = Number(v);
    else if (TIMES.has(field) && typeof v === 'string') out[field] = formTime(v);
    else out[field] = v;
  }
  return out;
}

async function validated<T extends object>(
  cls: new () => T,
  plain: Record<string, unknown>,
): Promise<{ value: T; problems: FieldError[] }> {
  const value = plainToInstance(cls, plain);
  const errors = await validate(value, { whitelist: true, forbidNonWhitelisted: true });
  return { value, problems: flattenValidationErrors(errors) };
}

const choices = (values: readonly string[], selected: readonly string[]) =>
  values.map((v) => ({ value: v, label: v.replace(/_/g, ' '), selected: selected.includes(v) }));

/**
 * The breach register (compliance.manage: admins only): JSON API and the
 * server-rendered pages, each incident with its 72-hour notification badge.
 */
@ApiTags('compliance')
@Controller()
export class BreachRegisterController {
  constructor(
    private readonly breaches: BreachRegisterService,
    private readonly pages: Pages,
    private readonly clock: Clock,
  ) {}

  @Get('api/v1/compliance/breaches')
  @RequirePermission('compliance.manage')
  @ApiOperation({ summary: 'The breach register, newest discovery first, with the 72-hour SLA' })
  async list(@Query() query: PageQuery): Promise<Page<BreachView>> {
    const page = await this.breaches.list(query);
    const now = this.clock.now();
    return { items: page.items.map((b) => breachView(b, now)), nextCursor: page.nextCursor };
  }

  @Post('api/v1/compliance/breaches')
  @RequirePermission('compliance.manage')
  @ApiOperation({ summary: 'Record a personal-data breach (audited)' })
  async create(@Body() body: CreateBreachBody, @Req() req: AppRequest): Promise<BreachView> {
    const b = await this.breaches.create(body, auditContextOf(req).actor);
    return breachView(b, this.clock.now());
  }

  @Get('api/v1/compliance/breaches/:id')
  @RequirePermission('compliance.manage')
  async get(@Param('id', uuid) id: string): Promise<BreachView> {
    return breachView(await this.breaches.get(id), this.clock.now());
  }

  @Patch('api/v1/compliance/breaches/:id')
  @RequirePermission('compliance.manage')
  @ApiOperation({
    summary: 'Update an incident: status, notifications, counts, description (audited)',
  })
  async update(
    @Param('id', uuid) id: string,
    @Body() body: UpdateBreachBody,
    @Req() req: AppRequest,
  ): Promise<BreachView> {
    const b = await this.breaches.update(id, body, auditContextOf(req).actor);
    return breachView(b, this.clock.now());
  }

  @Get('compliance/breaches')
  @RequirePermission('compliance.manage')
  @PageRoute()
  async page(
    @Query() query: PageQuery,
    @Req() req: AppRequest,
    @Res() res: Response,
  ): Promise<void> {
    const page = await this.breaches.list(query);
    const now = this.clock.now();
    const rows = page.items.map((b) => breachView(b, now));
    const open = (await this.breaches.unclosed()).map((b) => breachView(b, now));
    const count = (sla: BreachSlaState) => open.filter((r) => r.sla === sla).length;
    this.pages.send(
      req,
      res,
      'compliance/breaches',
      {
        hours: NOTIFICATION_DEADLINE_HOURS,
        counters: [
          { label: 'Deadline missed', n: count('breached'), sla: 'breached' },
          { label: 'Deadline near', n: count('at_risk'), sla: 'at_risk' },
          { label: 'On track', n: count('on_track'), sla: 'on_track' },
        ],
        rows: rows.map((r) => ({ ...r, timeLeft: timeLeft(r) })),
        nextHref: page.nextCursor
          ? `/compliance/breaches?cursor=${encodeURIComponent(page.nextCursor)}`
          : null,
      },
      { title: 'Breach register' },
    );
  }

  @Get('compliance/breaches/new')
  @RequirePermission('compliance.manage')
  @PageRoute()
  newPage(@Req() req: AppRequest, @Res() res: Response): void {
    this.renderForm(req, res, null, {}, [], 200);
  }

  @Post('compliance/breaches')
  @RequirePermission('compliance.manage')
  @PageRoute()
  async createFromPage(
    @Body() body: Record<string, unknown>,
    @Req() req: AppRequest,
    @Res() res: Response,
  ): Promise<void> {
    const plain = fromForm(body, true);
    const { value, problems } = await validated(CreateBreachBody, plain);
    if (problems.length) return this.renderForm(req, res, null, plain, problems, 400);
    try {
      const b = await this.breaches.create(value, auditContextOf(req).actor);
      res.redirect(303, `/compliance/breaches/${b.id}`);
    } catch (error) {
      if (!(error instanceof DetailedHttpError) || error.statusCode !== 400) throw error;
      this.renderForm(req, res, null, plain, problemsOf(error), 400);
    }
  }

  @Get('compliance/breaches/:id')
  @RequirePermission('compliance.manage')
  @PageRoute()
  async detailPage(
    @Param('id', uuid) id: string,
    @Req() req: AppRequest,
    @Res() res: Response,
  ): Promise<void> {
    this.renderForm(req, res, await this.breaches.get(id), {}, [], 200);
  }

  @Post('compliance/breaches/:id')
  @RequirePermission('compliance.manage')
  @PageRoute()
  async updateFromPage(
    @Param('id', uuid) id: string,
    @Body() body: Record<string, unknown>,
    @Req() req: AppRequest,
    @Res() res: Response,
  ): Promise<void> {
    const current = await this.breaches.get(id);
    const plain = fromForm(body, false);
    const { value, problems } = await validated(UpdateBreachBody, plain);
    if (problems.length) return this.renderForm(req, res, current, plain, problems, 400);
    try {
      await this.breaches.update(id, value as BreachInput, auditContextOf(req).actor);
      res.redirect(303, `/compliance/breaches/${id}`);
    } catch (error) {
      if (!(error instanceof DetailedHttpError) || error.statusCode !== 400) throw error;
      this.renderForm(req, res, current, plain, problemsOf(error), 400);
    }
  }

  /** The incident's page (or the new-incident form), with what was typed when it was refused. */
  private renderForm(
    req: AppRequest,
    res: Response,
    b: BreachIncident | null,
    typed: Record<string, unknown>,
    problems: FieldError[],
    status: number,
  ): void {
    const now = this.clock.now();
    const view = b ? breachView(b, now) : null;
    const pick = <T>(field: string, stored: T): T | unknown =>
      field in typed ? typed[field] : stored;
    const time = (field: string, stored: Date | null) => {
      const v = pick(field, inputTime(stored));
      return typeof v === 'string' ? v.replace(/Z$/, '').slice(0, 16) : '';
    };
    const text = (field: string, stored: unknown) => {
      const v = pick(field, stored);
      return v === null || v === undefined ? '' : String(v);
    };
    const list = (field: string, stored: readonly string[]) => {
      const v = pick(field, stored);
      return Array.isArray(v) ? v.map(String) : [];
    };
    this.pages.send(
      req,
      res,
      'compliance/breach',
      {
        b: view
          ? { ...view, timeLeft: timeLeft(view), deadline: new Date(view.notificationDeadline) }
          : null,
        action: b ? `/compliance/breaches/${b.id}` : '/compliance/breaches',
        hours: NOTIFICATION_DEADLINE_HOURS,
        problems,
        form: {
          title: text('title', b?.title ?? ''),
          description: text('description', b?.description ?? ''),
          discoveredAt: time('discoveredAt', b?.discoveredAt ?? null),
          affectedRecordCount: text('affectedRecordCount', b?.affectedRecordCount ?? ''),
          affectedSubjectCount: text('affectedSubjectCount', b?.affectedSubjectCount ?? ''),
          authorityNotifiedAt: time('authorityNotifiedAt', b?.authorityNotifiedAt ?? null),
          subjectsNotifiedAt: time('subjectsNotifiedAt', b?.subjectsNotifiedAt ?? null),
          actionsTaken: text('actionsTaken', b?.actionsTaken ?? ''),
          categories: choices(
            BREACH_DATA_CATEGORIES,
            list('affectedCategories', b?.affectedCategories ?? []),
          ),
          subjectKinds: choices(
            BREACH_SUBJECT_KINDS,
            list('affectedSubjectKinds', b?.affectedSubjectKinds ?? []),
          ),
          severities: choices(BREACH_SEVERITIES, [text('severity', b?.severity ?? 'medium')]),
          statuses: choices(BREACH_STATUSES, [text('status', b?.status ?? 'open')]),
        },
      },
      {
        title: b ? `Breach: ${b.title}` : 'Record a breach',
        status,
        flash: problems.length
          ? { kind: 'error', text: `Not saved: ${problems.map((p) => p.message).join('; ')}` }
          : null,
      },
    );
  }
}

function problemsOf(error: DetailedHttpError): FieldError[] {
  return Array.isArray(error.details) ? error.details : [{ field: '', message: error.message }];
}

/** "31 h left", "5 h late" (only while the authority has not been told). */
function timeLeft(v: BreachView): string {
  if (v.hoursLeft === null) return '';
  return v.hoursLeft >= 0 ? `${v.hoursLeft} h left` : `${-v.hoursLeft} h late`;
}

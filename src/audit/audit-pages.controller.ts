import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Page, RequirePermission } from '../auth/access.decorators';
import { Pages } from '../web/pages.service';
import { ACTOR_TYPES, AUDIT_OUTCOMES } from './audit-actions';
import { AuditQueryService } from './audit-query.service';
import { AuditFilters, AuditListQuery } from './dto/audit-query.dto';

const FILTER_NAMES = [
  'actorType',
  'actorId',
  'action',
  'resourceType',
  'resourceId',
  'outcome',
  'requestId',
  'from',
  'to',
] as const satisfies readonly (keyof AuditFilters)[];

/** `/admin/audit`: filter form, newest-first table, export links (admins with audit.read). */
@ApiExcludeController()
@Controller('admin/audit')
export class AuditPagesController {
  constructor(
    private readonly auditLog: AuditQueryService,
    private readonly pages: Pages,
  ) {}

  @Get()
  @Page()
  @RequirePermission('audit.read')
  async page(
    @Query() query: AuditListQuery,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const page = await this.auditLog.list(query);
    this.pages.send(req, res, 'admin/audit', auditPageContext(query, page), { title: 'Audit log' });
  }
}

/** Everything the template reads, every key present (templates compile in strict mode). */
export function auditPageContext(
  query: AuditListQuery,
  page: Awaited<ReturnType<AuditQueryService['list']>>,
): Record<string, unknown> {
  const filters = Object.fromEntries(FILTER_NAMES.map((name) => [name, query[name] ?? '']));
  const search = (extra: Record<string, string>) => {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries({ ...filters, ...extra })) {
      if (value) params.set(name, String(value));
    }
    return params.toString();
  };
  return {
    filters,
    actorTypes: ACTOR_TYPES.map((value) => ({ value, selected: value === query.actorType })),
    outcomes: AUDIT_OUTCOMES.map((value) => ({ value, selected: value === query.outcome })),
    rows: page.items.map((item) => ({
      ...item,
      time: item.occurredAt.replace('T', ' ').slice(0, 23),
      actor: item.actorId ? `${item.actorType} ${item.actorId}` : item.actorType,
      resource: [item.resourceType, item.resourceId].filter(Boolean).join(' '),
      fields: item.changedFields.join(', '),
      failed: item.outcome !== 'success',
    })),
    exportCsvHref: `/api/v1/audit/export?${search({ format: 'csv' })}`,
    exportJsonHref: `/api/v1/audit/export?${search({ format: 'json' })}`,
    nextHref: page.nextCursor
      ? `/admin/audit?${search({ cursor: page.nextCursor, limit: String(query.limit) })}`
      : null,
  };
}

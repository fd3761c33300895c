import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RequirePermission } from '../auth/access.decorators';
import { auditContextOf } from './audit-request';
import { AuditQueryService } from './audit-query.service';
import { AuditExportQuery, AuditListQuery, AuditPage } from './dto/audit-query.dto';

@ApiTags('audit')
@Controller('api/v1/audit')
export class AuditController {
  constructor(private readonly auditLog: AuditQueryService) {}

  @Get()
  @RequirePermission('audit.read')
  @ApiOperation({
    summary:
      'Audit log, newest first; filter by actor, action (or area.*), resource, outcome, time',
  })
  @ApiOkResponse({ type: AuditPage })
  list(@Query() query: AuditListQuery): Promise<AuditPage> {
    return this.auditLog.list(query);
  }

  @Get('export')
  @RequirePermission('audit.read')
  @ApiOperation({ summary: 'Stream the matching audit rows, oldest first, as CSV or a JSON array' })
  @ApiProduces('text/csv', 'application/json')
  export(
    @Query() query: AuditExportQuery,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    return this.auditLog.export(query, auditContextOf(req), res);
  }
}

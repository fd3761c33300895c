import { Controller, Get, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import type { Response } from 'express';
import { Page as PageRoute, RequirePermission } from '../auth/access.decorators';
import type { AppRequest } from '../auth/principal';
import { auditContextOf } from '../audit/audit-request';
import { DetailedHttpError } from '../common/error-body';
import { Pages } from '../web/pages.service';
import { RETENTION_POLICY } from './retention-policy';
import { RetentionService } from './retention.service';

const uuid = new ParseUUIDPipe({ version: undefined, errorHttpStatusCode: 400 });

export class ArchiveQuery {
  @ApiPropertyOptional({
    description: 'A student id, or the id of a user account linked to the student when archived',
  })
  @IsOptional()
  @IsUUID(undefined, { message: 'subject must be a student or user id (a UUID)' })
  subject?: string;
}

/** The page's query: the subject, plus the outcome of a restore it redirected from. */
export class ArchivePageQuery extends ArchiveQuery {
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  error?: string;

  @IsOptional()
  @IsIn(['1'])
  restored?: string;
}

const ARCHIVE_DAYS = RETENTION_POLICY.find((c) => c.key === 'education_archive')!.days!;

/** The education-record archive for admins (compliance.manage): list a student's archived records, restore them. */
@ApiTags('compliance')
@Controller()
export class RetentionArchiveController {
  constructor(
    private readonly retention: RetentionService,
    private readonly pages: Pages,
  ) {}

  @Get('api/v1/compliance/retention/archive')
  @RequirePermission('compliance.manage')
  @ApiOperation({
    summary:
      "A student's archived education records (subject: student or linked user id), or without subject the latest archived students",
  })
  async list(@Query() query: ArchiveQuery) {
    if (!query.subject) return { subjects: await this.retention.recentArchivedSubjects() };
    const items = await this.retention.listArchived(query.subject);
    return {
      subject: query.subject,
      studentId: items[0]?.subjectId ?? null,
      items: items.map((i) => ({ ...i, deleteAfter: this.deleteAfter(i.archivedAt) })),
    };
  }

  @Post('api/v1/compliance/retention/archive/:studentId/restore')
  @RequirePermission('compliance.manage')
  @ApiOperation({
    summary:
      "Restore a student's archived records into the live tables (removed from the archive; audited)",
  })
  restore(@Param('studentId', uuid) studentId: string, @Req() req: AppRequest) {
    return this.retention.restore(studentId, auditContextOf(req).actor);
  }

  @Get('compliance/retention/archive')
  @RequirePermission('compliance.manage')
  @PageRoute()
  async page(
    @Query() query: ArchivePageQuery,
    @Req() req: AppRequest,
    @Res() res: Response,
  ): Promise<void> {
    const error = query.error ? query.error.slice(0, 300) : null;
    const restored = query.restored === '1';
    const items = query.subject ? await this.retention.listArchived(query.subject) : [];
    this.pages.send(
      req,
      res,
      'compliance/retention-archive',
      {
        subject: query.subject ?? '',
        studentId: items[0]?.subjectId ?? null,
        items: items.map((i) => ({ ...i, deleteAfter: this.deleteAfter(i.archivedAt) })),
        subjects: query.subject ? [] : await this.retention.recentArchivedSubjects(),
        searched: !!query.subject,
        archiveYears: Math.round(ARCHIVE_DAYS / 365),
      },
      {
        title: 'Archived education records',
        flash: error
          ? { kind: 'error', text: error }
          : restored
            ? { kind: 'info', text: 'Restored: the records are back in the live tables.' }
            : null,
      },
    );
  }

  @Post('compliance/retention/archive/:studentId/restore')
  @RequirePermission('compliance.manage')
  @PageRoute()
  async restoreFromPage(
    @Param('studentId', uuid) studentId: string,
    @Req() req: AppRequest,
    @Res() res: Response,
  ): Promise<void> {
    try {
      await this.retention.restore(studentId, auditContextOf(req).actor);
    } catch (error) {
      if (error instanceof DetailedHttpError && error.statusCode === 409)
        return res.redirect(
          303,
          `/compliance/retention/archive?subject=${studentId}&error=${encodeURIComponent(error.message)}`,
        );
      throw error;
    }
    res.redirect(303, `/compliance/retention/archive?subject=${studentId}&restored=1`);
  }

  private deleteAfter(archivedAt: Date): Date {
    return new Date(new Date(archivedAt).getTime() + ARCHIVE_DAYS * 86_400_000);
  }
}

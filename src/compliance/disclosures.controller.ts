import {
  Body,
  Controller,
  ForbiddenException,
  NotFoundException,
  Get,
  Param,
  ParseUUIDPipe,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { IsBoolean } from 'class-validator';
import type { Response } from 'express';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Page as PageRoute, RequirePermission } from '../auth/access.decorators';
import type { AppRequest, Principal } from '../auth/principal';
import { Page, PageQuery } from '../common/pagination';
import { Pages } from '../web/pages.service';
import { DisclosureLog, DisclosureRow } from './disclosure-log.service';
import { StudentPrivacyService } from './student-privacy.service';

const uuid = new ParseUUIDPipe({ version: undefined, errorHttpStatusCode: 400 });

export class DirectoryOptOutBody {
  @IsBoolean({ message: 'optOut must be true or false' })
  optOut: boolean;
}

/** The student themself or an admin (compliance.manage); nobody else sees who saw a student's records. */
function mayReadReport(principal: Principal | undefined, studentId: string): void {
  if (!principal || principal.kind !== 'user') throw new ForbiddenException('Sign in');
  if (principal.permissions.has('compliance.manage') || principal.studentId === studentId) return;
  throw new ForbiddenException(
    'Only the student or an administrator sees the disclosures of a student’s records',
  );
}

/** FERPA disclosure report (API and page) and the directory-information opt-out. */
@ApiTags('compliance')
@Controller()
export class DisclosuresController {
  constructor(
    private readonly log: DisclosureLog,
    private readonly privacy: StudentPrivacyService,
    private readonly pages: Pages,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** 404 for an unknown student, then the object-level rule. */
  private async mayRead(principal: Principal | undefined, studentId: string): Promise<void> {
    const rows: unknown[] = await this.dataSource.query('SELECT 1 FROM students WHERE id = $1', [
      studentId,
    ]);
    if (!rows.length) throw new NotFoundException(`No student with id ${studentId}`);
    mayReadReport(principal, studentId);
  }

  @Get('api/v1/students/:id/disclosures')
  @RequirePermission('self.read')
  @ApiOperation({
    summary: 'Who received which part of this student’s education record, when and why',
  })
  async disclosures(
    @Param('id', uuid) id: string,
    @Query() query: PageQuery,
    @Req() req: AppRequest,
  ): Promise<Page<DisclosureRow>> {
    await this.mayRead(req.principal, id);
    return this.log.report(id, query);
  }

  @Put('api/v1/students/:id/directory-opt-out')
  @RequirePermission('self.read')
  @ApiOperation({ summary: 'Opt a student out of (or back into) directory information' })
  async optOut(
    @Param('id', uuid) id: string,
    @Body() body: DirectoryOptOutBody,
    @Req() req: AppRequest,
  ): Promise<{ studentId: string; directoryOptOut: boolean }> {
    await this.mayRead(req.principal, id);
    await this.privacy.setDirectoryOptOut(id, body.optOut);
    return { studentId: id, directoryOptOut: body.optOut };
  }

  @Get('compliance/students/:id/disclosures')
  @RequirePermission('self.read')
  @PageRoute()
  async page(
    @Param('id', uuid) id: string,
    @Query() query: PageQuery,
    @Req() req: AppRequest,
    @Res() res: Response,
  ): Promise<void> {
    await this.mayRead(req.principal, id);
    const page = await this.log.report(id, query);
    const optedOut = (await this.privacy.optedOut([id])).has(id);
    this.pages.send(
      req,
      res,
      'compliance/disclosures',
      {
        studentId: id,
        optedOut,
        rows: page.items.map((r) => ({
          time: r.disclosedAt,
          recipient: r.recipient,
          recordKind: r.recordKind.replace(/_/g, ' '),
          basis: r.basis.replace(/_/g, ' '),
          path: r.requestPath ?? '',
        })),
        nextHref: page.nextCursor
          ? `/compliance/students/${id}/disclosures?cursor=${encodeURIComponent(page.nextCursor)}`
          : null,
      },
      { title: 'Disclosures of education records' },
    );
  }
}

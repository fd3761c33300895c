import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import type { Request, Response } from 'express';
import { Page, Public, RequirePermission } from '../auth/access.decorators';
import type { AppRequest } from '../auth/principal';
import { auditContextOf } from '../audit/audit-request';
import { DetailedHttpError } from '../common/error-body';
import type { Student } from '../tutoring/entities/student.entity';
import { Pages } from '../web/pages.service';
import { ChildAwaitingConsent, CoppaService } from './coppa.service';
import { ERASED_NAMES } from './erasure';

const uuid = new ParseUUIDPipe({ version: undefined, errorHttpStatusCode: 400 });

const CHILD_STATES = ['awaiting_parent_contact', 'awaiting_consent'] as const;

export class ChildrenQuery {
  @ApiPropertyOptional({ enum: CHILD_STATES })
  @IsOptional()
  @IsIn(CHILD_STATES, { message: `state must be one of ${CHILD_STATES.join(', ')}` })
  state?: ChildAwaitingConsent['state'];
}

/**
 * COPPA: the staff trigger for a consent email, and the parents' pages behind
 * emailed single-use links (public: parents have no account; CSRF-protected forms).
 */
@ApiTags('compliance')
@Controller()
export class CoppaController {
  constructor(
    private readonly coppa: CoppaService,
    private readonly pages: Pages,
  ) {}

  @Post('api/v1/compliance/coppa/students/:id/consent-request')
  @RequirePermission('compliance.manage')
  @ApiOperation({
    summary: 'Email the parent of an under-13 student a single-use consent link (7 days)',
  })
  async request(@Param('id', uuid) id: string, @Req() req: AppRequest) {
    await this.coppa.requestConsent(id, auditContextOf(req).actor);
    return { studentId: id, consentRequested: true };
  }

  @Get('api/v1/compliance/coppa/children')
  @RequirePermission('compliance.manage')
  @ApiOperation({
    summary:
      'Under-13 students without verified consent: awaiting_parent_contact (no parent email yet) or awaiting_consent',
  })
  async children(@Query() query: ChildrenQuery) {
    return { items: await this.coppa.childrenAwaitingConsent(query.state) };
  }

  @Get('compliance/coppa')
  @RequirePermission('compliance.manage')
  @Page()
  async childrenPage(@Req() req: AppRequest, @Res() res: Response): Promise<void> {
    const children = await this.coppa.childrenAwaitingConsent();
    const rows = children.map((c) => ({
      ...c,
      stateLabel:
        c.state === 'awaiting_parent_contact' ? 'Awaiting a parent contact' : 'Awaiting consent',
    }));
    this.pages.send(
      req,
      res,
      'compliance/coppa',
      {
        contact: rows.filter((r) => r.state === 'awaiting_parent_contact'),
        consent: rows.filter((r) => r.state === 'awaiting_consent'),
      },
      { title: 'Parental consent (COPPA)' },
    );
  }

  @Get('parents/:token')
  @Public()
  @Page()
  async show(
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const link = await this.coppa.peek(token);
    if (!link)
      return this.done(
        req,
        res,
        410,
        'This link has been used or has expired',
        'Parent links work once and for 7 days. Nothing was changed. Ask the tutoring coordinator to send a new one.',
      );
    if (link.purpose === 'consent') {
      this.pages.send(
        req,
        res,
        'compliance/parent-consent',
        { action: `/parents/${token}/consent` },
        { title: 'Parental consent' },
      );
      return;
    }
    const data = await this.coppa.review(link.studentId);
    const student = data.student as Student;
    this.pages.send(
      req,
      res,
      'compliance/parent-manage',
      {
        token,
        student: {
          // Until the first ingestion after consent brings it, no name is stored.
          name: ERASED_NAMES.has(student.name) ? 'Not received yet' : student.name,
          gradeLevel: student.gradeLevel ?? '',
          birth: `${student.birthYear}-${String(student.birthMonth).padStart(2, '0')}`,
          subjects: student.subjectsInterested.join(', '),
        },
        sessionCount: (data.sessions as unknown[]).length,
        feedback: (
          data.feedback as { overallRating: number; submittedAt: Date; freeText: string | null }[]
        ).map((f) => ({
          rating: f.overallRating,
          submittedAt: f.submittedAt,
          comment: f.freeText ?? '',
        })),
      },
      { title: 'Your child’s data' },
    );
  }

  @Post('parents/:token/consent')
  @Public()
  @Page()
  async consent(
    @Param('token') token: string,
    @Body() body: Record<string, unknown>,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    if (body.agree !== 'yes')
      throw new DetailedHttpError(
        400,
        'Tick the box to confirm you are the parent or guardian and consent',
      );
    await this.coppa.consent(
      token,
      typeof body.signature === 'string' ? body.signature : '',
      auditContextOf(req).ip ?? null,
    );
    this.done(
      req,
      res,
      200,
      'Thank you: consent is recorded',
      'We have emailed you a separate link to review, download or delete your child’s data, or to withdraw consent, at any time.',
    );
  }

  @Post('parents/:token/download')
  @Public()
  @Page()
  async download(@Param('token') token: string, @Res() res: Response): Promise<void> {
    const data = await this.coppa.download(token);
    res
      .status(200)
      .type('application/json')
      .setHeader('Content-Disposition', 'attachment; filename="tutormax-child-data.json"')
      .setHeader('Cache-Control', 'no-store')
      .send(JSON.stringify(data, null, 2));
  }

  @Post('parents/:token/revoke')
  @Public()
  @Page()
  async revoke(
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.coppa.revoke(token, false);
    this.done(
      req,
      res,
      200,
      'Consent withdrawn',
      'Your child’s name and contact details have been removed from TutorMax. Their feedback will not be accepted any more.',
    );
  }

  @Post('parents/:token/delete')
  @Public()
  @Page()
  async delete(
    @Param('token') token: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.coppa.revoke(token, true);
    this.done(
      req,
      res,
      200,
      'Your child’s data is deleted',
      'Every personal detail about your child has been erased. Anonymous session statistics remain.',
    );
  }

  private done(req: Request, res: Response, status: number, title: string, text: string): void {
    this.pages.send(
      req,
      res,
      'compliance/parent-done',
      { heading: title, text },
      { title, status },
    );
  }
}

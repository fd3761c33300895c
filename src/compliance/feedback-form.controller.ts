import { Body, Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Page, Public } from '../auth/access.decorators';
import { IMPROVEMENT_AREAS } from '../tutoring/tutoring.constants';
import { Pages } from '../web/pages.service';
import {
  Closed,
  FeedbackFormService,
  FeedbackSession,
  MAX_COMMENT,
  parseAnswers,
  SUB_RATINGS,
} from './feedback-form.service';

const CLOSED: Record<Closed, { status: number; title: string; text: string }> = {
  unknown: {
    status: 404,
    title: 'This feedback link is not valid',
    text: 'The link is incomplete or was not sent by TutorMax. Open it again from the email, or ask your tutoring coordinator for a new one.',
  },
  expired: {
    status: 410,
    title: 'This feedback link has expired',
    text: 'Feedback links work for 7 days after the session. Nothing was recorded.',
  },
  used: {
    status: 409,
    title: 'Feedback for this session is already recorded',
    text: 'Each link can be used once, and this session already has its feedback. Thank you. Nothing more was recorded.',
  },
  'not-completed': {
    status: 409,
    title: 'This session did not take place',
    text: 'Feedback can be given only for a session that happened. Nothing was recorded.',
  },
  'consent-required': {
    status: 403,
    title: 'A parent or guardian must give consent first',
    text: 'This student is under 13. We can accept their feedback only after a parent or guardian has verified consent through the link we emailed to them. Nothing was recorded.',
  },
};

const LABELS: Record<string, string> = {
  punctuality: 'Punctuality',
  preparation: 'Preparation',
  clarity: 'Clarity',
  patience: 'Patience',
  engagement: 'Engagement',
  subject_knowledge: 'Subject knowledge',
  communication: 'Communication',
  technical_issues: 'Technical issues',
  other: 'Something else',
};
const WORK_AGAIN = [
  { value: 'yes', label: 'Yes' },
  { value: 'maybe', label: 'Maybe' },
  { value: 'probably_not', label: 'Probably not' },
  { value: 'no', label: 'No' },
];

/**
 * `/feedback/:token`: the public form opened from the invitation email.
 * Mobile-first, no JavaScript needed, CSRF-protected (anonymous form posts
 * carry the double-submit token like every page form).
 */
@ApiExcludeController()
@Controller('feedback')
@Public()
export class FeedbackFormController {
  constructor(
    private readonly form: FeedbackFormService,
    private readonly pages: Pages,
  ) {}

  @Get(':token')
  @Page()
  async show(@Param('token') token: string, @Req() req: Request, @Res() res: Response) {
    const session = await this.form.open(token);
    if ('closed' in session) return this.closed(req, res, session.closed);
    this.render(req, res, token, session, {}, {}, 200);
  }

  @Post(':token')
  @Page()
  async submit(
    @Param('token') token: string,
    @Body() body: Record<string, unknown>,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const session = await this.form.open(token);
    if ('closed' in session) return this.closed(req, res, session.closed);
    const { answers, errors } = parseAnswers(body ?? {}, session.firstSession);
    if (!answers) return this.render(req, res, token, session, body, errors, 422);
    const outcome = await this.form.submit(token, session, answers);
    if ('closed' in outcome) return this.closed(req, res, outcome.closed);
    if ('rejected' in outcome)
      return this.render(
        req,
        res,
        token,
        session,
        body,
        { form: outcome.rejected.join('; ') },
        422,
      );
    this.pages.send(
      req,
      res,
      'feedback-done',
      { tutorFirstName: session.tutorFirstName },
      { title: 'Thank you for your feedback' },
    );
  }

  private closed(req: Request, res: Response, why: Closed): void {
    const c = CLOSED[why];
    this.pages.send(req, res, 'feedback-closed', c, { title: c.title, status: c.status });
  }

  private render(
    req: Request,
    res: Response,
    token: string,
    session: FeedbackSession,
    body: Record<string, unknown>,
    errors: Record<string, string>,
    status: number,
  ): void {
    const picked = (name: string) => {
      const v = body[name];
      return Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)];
    };
    const scale = (name: string) =>
      [1, 2, 3, 4, 5].map((n) => ({
        value: String(n),
        id: `${name}-${n}`,
        checked: picked(name).includes(String(n)),
      }));
    const comments = picked('comments')[0] ?? '';
    this.pages.send(
      req,
      res,
      'feedback',
      {
        action: `/feedback/${token}`,
        session,
        forParent: session.respondent === 'parent',
        errorList: Object.values(errors),
        errors: {
          overallRating: errors.overallRating ?? null,
          workAgain: errors.workAgain ?? null,
          improvementAreas: errors.improvementAreas ?? null,
          comments: errors.comments ?? null,
        },
        overall: scale('overallRating'),
        subRatings: SUB_RATINGS.map((r) => ({
          field: r.field,
          label: r.label,
          scale: scale(r.field),
          error: errors[r.field] ?? null,
        })),
        workAgain: WORK_AGAIN.map((w) => ({
          ...w,
          id: `workAgain-${w.value}`,
          checked: picked('workAgain').includes(w.value),
        })),
        areas: IMPROVEMENT_AREAS.map((a) => ({
          value: a,
          label: LABELS[a] ?? a,
          id: `area-${a}`,
          checked: picked('improvementAreas').includes(a),
        })),
        comments: comments.slice(0, MAX_COMMENT + 500),
        maxComment: MAX_COMMENT,
      },
      { title: 'How was your session?', status },
    );
  }
}

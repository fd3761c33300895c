import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Page, RequirePermission } from '../auth/access.decorators';
import type { AppRequest } from '../auth/principal';
import { DetailedHttpError } from '../common/error-body';
import { Pages } from '../web/pages.service';
import { ACKNOWLEDGEABLE, AcknowledgeableKind } from './entities/tutor-acknowledgement.entity';
import { GOAL_TYPE_INFO, GOAL_TYPES, GoalType } from './goals';
import type { GoalView } from './tutor-self-service.service';
import { PRIVACY_PATH, StudentSelfService } from './student-self-service.service';
import { TRAINING_STATUSES, TrainingStatus } from './training-catalogue';
import { TutorSelfService } from './tutor-self-service.service';
import { MIN_COHORT_SIZE } from './peer-percentiles';

interface FormBody {
  [field: string]: unknown;
}
const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const TABS = [
  { href: '/me', label: 'Overview' },
  { href: '/me/feedback', label: 'Feedback' },
  { href: '/me/growth', label: 'Goals & training' },
  { href: '/me/inbox', label: 'Inbox' },
];
const tabs = (current: string) => TABS.map((t) => ({ ...t, current: t.href === current }));

const GOAL_STATUS_LABEL: Record<string, string> = {
  not_started: 'Not started',
  in_progress: 'In progress',
  achieved: 'Achieved',
  expired: 'Expired',
};
const TRAINING_STATUS_LABEL: Record<string, string> = {
  not_started: 'Not started',
  in_progress: 'In progress',
  completed: 'Completed',
};
const SESSION_STATUS_LABEL: Record<string, string> = {
  scheduled: 'Scheduled',
  completed: 'Completed',
  no_show: 'Missed',
};
const WORK_AGAIN_LABEL: Record<string, string> = {
  yes: 'Yes',
  maybe: 'Maybe',
  probably_not: 'Probably not',
  no: 'No',
};

/** A goal value for people: percentages for fraction goals. */
function goalValue(type: GoalType, v: number | null): string {
  if (v === null) return '—';
  if (GOAL_TYPE_INFO[type].percent) return `${Math.round(v * 100)}%`;
  if (type === 'rating_improvement') return v.toFixed(2);
  return String(Math.round(v * 10) / 10);
}

/** `/me`: a tutor's or a student's own pages (mobile-first, no JavaScript needed). */
@ApiExcludeController()
@Controller('me')
export class SelfServicePagesController {
  constructor(
    private readonly tutors: TutorSelfService,
    private readonly students: StudentSelfService,
    private readonly pages: Pages,
  ) {}

  @Get()
  @Page()
  @RequirePermission('self.read')
  async home(
    @Req() req: AppRequest,
    @Res() res: Response,
    @Query() q: Record<string, unknown>,
  ): Promise<void> {
    const p = req.principal;
    if (p?.kind === 'user' && p.tutorId && p.permissions.has('self_service.tutor'))
      return this.tutorOverview(req, res, p.tutorId);
    if (p?.kind === 'user' && p.studentId && p.permissions.has('self_service.student'))
      return this.studentHome(req, res, p.studentId, q);
    this.pages.send(req, res, 'me/unlinked', { privacyPath: PRIVACY_PATH }, { title: 'My page' });
  }

  private async tutorOverview(req: AppRequest, res: Response, tutorId: string) {
    const [overview, peers] = await Promise.all([
      this.tutors.overview(tutorId),
      this.tutors.peers(tutorId),
    ]);
    this.pages.send(
      req,
      res,
      'me/tutor',
      {
        tabs: tabs('/me'),
        overview,
        peers,
        minCohort: MIN_COHORT_SIZE,
        privacyPath: PRIVACY_PATH,
      },
      { title: 'My performance' },
    );
  }

  private async studentHome(
    req: AppRequest,
    res: Response,
    studentId: string,
    q: Record<string, unknown>,
  ) {
    const sc = text(q.sessions) || undefined;
    const fc = text(q.feedback) || undefined;
    const [profile, sessions, feedback] = await Promise.all([
      this.students.profile(studentId),
      this.students.sessions(studentId, 20, sc),
      this.students.feedback(studentId, 20, fc),
    ]);
    this.pages.send(
      req,
      res,
      'me/student',
      {
        profile,
        sessions: {
          ...sessions,
          items: sessions.items.map((s) => ({
            ...s,
            completed: s.status === 'completed',
            statusLabel: SESSION_STATUS_LABEL[s.status] ?? s.status,
          })),
        },
        feedback: {
          ...feedback,
          items: feedback.items.map((f) => ({
            ...f,
            workAgain: f.workAgain ? WORK_AGAIN_LABEL[f.workAgain] : null,
          })),
        },
        privacyPath: PRIVACY_PATH,
      },
      { title: profile.parentOfChildUnder13 ? 'Your child’s sessions' : 'My sessions' },
    );
  }

  @Get('feedback')
  @Page()
  @RequirePermission('self_service.tutor')
  async feedback(
    @Req() req: AppRequest,
    @Res() res: Response,
    @Query() q: Record<string, unknown>,
  ): Promise<void> {
    const tutorId = this.tutors.tutorIdOf(req.principal);
    const [feedback, first] = await Promise.all([
      this.tutors.feedback(tutorId, 20, text(q.cursor) || undefined),
      this.tutors.firstSessions(tutorId),
    ]);
    this.pages.send(
      req,
      res,
      'me/feedback',
      {
        tabs: tabs('/me/feedback'),
        feedback: {
          ...feedback,
          items: feedback.items.map((f) => ({
            ...f,
            workAgain: f.workAgain ? WORK_AGAIN_LABEL[f.workAgain] : null,
          })),
        },
        first: {
          summary: {
            ...first.summary,
            successPct:
              first.summary.successRate === null
                ? null
                : Math.round(first.summary.successRate * 100),
          },
          items: first.items.map((i) => ({
            ...i,
            workAgain: i.workAgain ? WORK_AGAIN_LABEL[i.workAgain] : null,
          })),
        },
      },
      { title: 'My feedback' },
    );
  }

  @Get('growth')
  @Page()
  @RequirePermission('self_service.tutor')
  async growth(@Req() req: AppRequest, @Res() res: Response): Promise<void> {
    await this.renderGrowth(req, res, null, 200, {});
  }

  private async renderGrowth(
    req: AppRequest,
    res: Response,
    error: string | null,
    status: number,
    form: Record<string, string>,
  ) {
    const tutorId = this.tutors.tutorIdOf(req.principal);
    const [goals, training, badges] = await Promise.all([
      this.tutors.goals(tutorId),
      this.tutors.training(tutorId),
      this.tutors.badges(tutorId),
    ]);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    this.pages.send(
      req,
      res,
      'me/growth',
      {
        tabs: tabs('/me/growth'),
        error,
        form: {
          type: form.type ?? '',
          target: form.target ?? '',
          title: form.title ?? '',
          dueOn: form.dueOn ?? '',
        },
        minDue: tomorrow,
        goalTypes: GOAL_TYPES.map((t) => ({
          value: t,
          label: GOAL_TYPE_INFO[t].label,
          hint: GOAL_TYPE_INFO[t].percent
            ? `a percentage, e.g. 90 (${GOAL_TYPE_INFO[t].target.replace(/a fraction from 0 to 1/, 'share')})`
            : GOAL_TYPE_INFO[t].target,
          selected: form.type === t,
        })),
        goals: goals.map((g: GoalView) => ({
          ...g,
          custom: g.type === 'custom',
          done: g.status === 'achieved',
          statusLabel: GOAL_STATUS_LABEL[g.status],
          targetText: goalValue(g.type, g.target),
          currentText: goalValue(g.type, g.current),
          pct: Math.round(g.progress * 100),
          bar: `bar-${Math.round(g.progress * 20) * 5}`,
        })),
        training: training.map((t) => ({
          ...t,
          statusLabel: TRAINING_STATUS_LABEL[t.status],
          notStarted: t.status === 'not_started',
          inProgress: t.status === 'in_progress',
          completed: t.status === 'completed',
        })),
        badges,
        earnedCount: badges.filter((b) => b.earned).length,
      },
      { title: 'Goals and training', status, flash: error ? { kind: 'error', text: error } : null },
    );
  }

  /** Runs a form's change; a refusal (4xx other than 404) re-renders the page with the reason. */
  private async growthAction(
    req: AppRequest,
    res: Response,
    work: () => Promise<unknown>,
    form: Record<string, string> = {},
  ) {
    try {
      await work();
    } catch (error) {
      if (!(error instanceof DetailedHttpError) || error.statusCode === 404) throw error;
      return this.renderGrowth(req, res, error.message, error.statusCode, form);
    }
    res.redirect(303, '/me/growth');
  }

  private target(type: GoalType, raw: string): number | null {
    if (!raw) return null;
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new DetailedHttpError(400, 'target must be a number');
    return GOAL_TYPE_INFO[type].percent ? n / 100 : n;
  }

  @Post('goals')
  @Page()
  @RequirePermission('self_service.tutor')
  async createGoal(@Req() req: AppRequest, @Res() res: Response, @Body() body: FormBody) {
    const form = {
      type: text(body.type),
      target: text(body.target),
      title: text(body.title),
      dueOn: text(body.dueOn),
    };
    await this.growthAction(
      req,
      res,
      async () => {
        const tutorId = this.tutors.tutorIdOf(req.principal);
        if (!GOAL_TYPES.includes(form.type as GoalType))
          throw new DetailedHttpError(400, 'choose the kind of goal');
        const type = form.type as GoalType;
        await this.tutors.createGoal(tutorId, {
          type,
          target: this.target(type, form.target),
          title: form.title || null,
          dueOn: form.dueOn,
        });
      },
      form,
    );
  }

  @Post('goals/:id/complete')
  @Page()
  @RequirePermission('self_service.tutor')
  async completeGoal(@Req() req: AppRequest, @Res() res: Response, @Param('id') id: string) {
    if (!UUID.test(id)) throw new DetailedHttpError(404, 'no such goal');
    await this.growthAction(req, res, () =>
      this.tutors.updateGoal(this.tutors.tutorIdOf(req.principal), id, { completed: true }),
    );
  }

  @Post('goals/:id/delete')
  @Page()
  @RequirePermission('self_service.tutor')
  async deleteGoal(@Req() req: AppRequest, @Res() res: Response, @Param('id') id: string) {
    if (!UUID.test(id)) throw new DetailedHttpError(404, 'no such goal');
    await this.growthAction(req, res, () =>
      this.tutors.deleteGoal(this.tutors.tutorIdOf(req.principal), id),
    );
  }

  @Post('training/:moduleId')
  @Page()
  @RequirePermission('self_service.tutor')
  async setTraining(
    @Req() req: AppRequest,
    @Res() res: Response,
    @Param('moduleId') moduleId: string,
    @Body() body: FormBody,
  ) {
    await this.growthAction(req, res, async () => {
      const status = text(body.status);
      if (!TRAINING_STATUSES.includes(status as TrainingStatus))
        throw new DetailedHttpError(400, `status must be one of ${TRAINING_STATUSES.join(', ')}`);
      await this.tutors.setTraining(
        this.tutors.tutorIdOf(req.principal),
        moduleId,
        status as TrainingStatus,
      );
    });
  }

  @Get('inbox')
  @Page()
  @RequirePermission('self_service.tutor')
  async inbox(@Req() req: AppRequest, @Res() res: Response): Promise<void> {
    const inbox = await this.tutors.inbox(this.tutors.tutorIdOf(req.principal));
    this.pages.send(
      req,
      res,
      'me/inbox',
      { tabs: tabs('/me/inbox'), inbox, privacyPath: PRIVACY_PATH },
      { title: 'My inbox' },
    );
  }

  @Post('inbox/:kind/:id/acknowledge')
  @Page()
  @RequirePermission('self_service.tutor')
  async acknowledge(
    @Req() req: AppRequest,
    @Res() res: Response,
    @Param('kind') kind: string,
    @Param('id') id: string,
  ) {
    if (!ACKNOWLEDGEABLE.includes(kind as AcknowledgeableKind) || !UUID.test(id))
      throw new DetailedHttpError(404, 'nothing like that is addressed to you');
    const tutorId = this.tutors.tutorIdOf(req.principal);
    await this.tutors.acknowledge(tutorId, req.principal!.id, kind as AcknowledgeableKind, id);
    res.redirect(303, '/me/inbox');
  }
}

import { readerOf } from '../tutoring/tutoring-records.controller';
import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Page, RequirePermission } from '../auth/access.decorators';
import type { AppRequest } from '../auth/principal';
import { DetailedHttpError } from '../common/error-body';
import { Clock } from '../common/clock';
import { SessionListQuery } from '../tutoring/dto/list-queries.dto';
import { TutoringRecordsService } from '../tutoring/tutoring-records.service';
import { Pages } from '../web/pages.service';
import { Audited } from '../audit/audit.decorators';
import { TutorManagerNotes } from './tutor-manager-notes.service';
import { nextStatuses } from './intervention-workflow';
import {
  INTERVENTION_TYPE_INFO,
  INTERVENTION_TYPES,
  InterventionOutcome,
  InterventionStatus,
  OUTCOMES,
  Priority,
  PRIORITIES,
  RISK_BANDS,
  STATUSES,
} from './intervention.constants';
import { PERFORMANCE_TIERS } from '../performance/performance.constants';
import { InterventionAnalytics } from './intervention-analytics.service';
import { DashboardPage } from './dashboard-page.service';
import { queueRow, relative, SLA_LABEL, STATUS_LABEL, when } from './queue-row';
import {
  Actor,
  actorOf,
  InterventionDetail,
  InterventionsService,
  ListFilters,
} from './interventions.service';

interface FormBody {
  [field: string]: unknown;
}
const text = (v: unknown) => (typeof v === 'string' ? v : '');
const many = (v: unknown): string[] =>
  (Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : [])
    .map((x) => String(x).trim())
    .filter(Boolean);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const OUTCOME_LABEL: Record<InterventionOutcome, string> = {
  improved: 'Improved: measurable improvement after the intervention',
  no_change: 'No change: no significant change',
  declined: 'Declined: kept declining despite the intervention',
  churned: 'Churned: the tutor left the platform',
};

/** The managers' server-rendered pages: the queue, one intervention, tutors and the dashboard. */
@ApiExcludeController()
@Controller()
export class InterventionPagesController {
  constructor(
    private readonly interventions: InterventionsService,
    private readonly analytics: InterventionAnalytics,
    private readonly dashboardPage: DashboardPage,
    private readonly pages: Pages,
    private readonly clock: Clock,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sessions: TutoringRecordsService,
    private readonly managerNotes: TutorManagerNotes,
  ) {}

  // ------------------------------------------------------------- the queue

  @Get('interventions')
  @Page()
  @RequirePermission('interventions.read')
  async queue(@Req() req: AppRequest, @Res() res: Response, @Query() q: Record<string, unknown>) {
    await this.renderQueue(req, res, q, null);
  }

  private async renderQueue(
    req: AppRequest,
    res: Response,
    q: Record<string, unknown>,
    flash: { kind: 'info' | 'error'; text: string } | null,
  ) {
    const actor = actorOf(req.principal);
    const filters = this.filtersOf(q);
    const [page, counters, staff] = await Promise.all([
      this.interventions.list(filters, actor),
      this.analytics.counters(actor),
      actor.canAssign ? this.interventions.staff() : Promise.resolve([]),
    ]);
    const now = this.clock.now().getTime();
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q))
      if (typeof v === 'string' && v && k !== 'cursor') params.set(k, v);
    if (page.nextCursor) params.set('cursor', page.nextCursor);
    const selected = (list: string[] | undefined, v: string) => Boolean(list?.includes(v));
    this.pages.send(
      req,
      res,
      'interventions/queue',
      {
        counters,
        canAssign: actor.canAssign,
        staff: staff.map((s) => ({ id: s.id, name: `${s.fullName} (${s.roles.join(', ')})` })),
        rows: page.items.map((i) => queueRow(i, now)),
        nextHref: page.nextCursor ? `/interventions?${params.toString()}` : null,
        filters: {
          // Only an explicit choice is marked: the default (still to do) is the first option.
          statuses: STATUSES.map((s) => ({
            value: s,
            label: STATUS_LABEL[s],
            selected: q.status === s,
          })),
          allStatuses: q.status === 'all',
          types: INTERVENTION_TYPES.map((t) => ({
            value: t,
            label: INTERVENTION_TYPE_INFO[t].label,
            selected: selected(filters.type, t),
          })),
          priorities: PRIORITIES.map((p) => ({
            value: p,
            selected: selected(filters.priority, p),
          })),
          slaStates: Object.entries(SLA_LABEL).map(([value, label]) => ({
            value,
            label,
            selected: filters.slaState === value,
          })),
          assignees: [
            { value: '', label: 'Anyone', selected: !filters.assignee },
            { value: 'me', label: 'Me', selected: filters.assignee === 'me' },
            {
              value: 'unassigned',
              label: 'Unassigned',
              selected: filters.assignee === 'unassigned',
            },
          ],
          sorts: [
            { value: 'due', label: 'Time to breach', selected: (filters.sort ?? 'due') === 'due' },
            { value: 'priority', label: 'Priority', selected: filters.sort === 'priority' },
            { value: 'created', label: 'Newest', selected: filters.sort === 'created' },
          ],
          tutorId: filters.tutorId ?? '',
          dueBefore: filters.dueBefore ? text(q.dueBefore) : '',
        },
        exportHref: `/api/v1/interventions/export.csv?${exportParams(filters).toString()}`,
      },
      { title: 'Interventions', flash },
    );
  }

  private filtersOf(q: Record<string, unknown>): ListFilters {
    const pick = <T extends string>(v: unknown, allowed: readonly T[]) =>
      many(v).filter((x): x is T => (allowed as readonly string[]).includes(x));
    const status = pick(q.status, STATUSES);
    const assignee = text(q.assignee);
    const tutorId = text(q.tutorId);
    const sort = text(q.sort);
    const slaState = text(q.slaState);
    // "Due by" a calendar day (UTC): the next deadline falls before the end of that day.
    const dueBy = text(q.dueBefore);
    const dueBefore = /^\d{4}-\d{2}-\d{2}$/.test(dueBy)
      ? new Date(Date.parse(`${dueBy}T00:00:00Z`) + 86_400_000)
      : undefined;
    return {
      // Default view: the work still to do.
      status: status.length
        ? status
        : q.status === 'all'
          ? undefined
          : ['open', 'assigned', 'in_progress', 'waiting'],
      type: pick(q.type, INTERVENTION_TYPES),
      priority: pick(q.priority, PRIORITIES),
      assignee:
        assignee === 'me' || assignee === 'unassigned' || UUID.test(assignee)
          ? assignee
          : undefined,
      tutorId: UUID.test(tutorId) ? tutorId : undefined,
      slaState: slaState in SLA_LABEL ? slaState : undefined,
      dueBefore: dueBefore && !Number.isNaN(dueBefore.getTime()) ? dueBefore : undefined,
      sort: sort === 'created' || sort === 'priority' ? sort : 'due',
      limit: 50,
      cursor: text(q.cursor) || undefined,
    };
  }

  @Post('interventions/bulk-assign')
  @Page()
  @RequirePermission('interventions.assign')
  async bulkAssign(@Req() req: AppRequest, @Res() res: Response, @Body() body: FormBody) {
    const ids = many(body.ids).filter((id) => UUID.test(id));
    const assigneeId = text(body.assigneeId);
    if (!ids.length) throw new DetailedHttpError(400, 'select at least one intervention to assign');
    if (!UUID.test(assigneeId))
      throw new DetailedHttpError(400, 'choose someone to assign them to');
    const result = await this.interventions.bulkAssign(ids, assigneeId, actorOf(req.principal));
    if (!result.failed.length) return res.redirect(303, '/interventions');
    // Some could not be assigned: say which and why, on the queue itself.
    const reasons = [...new Set(result.failed.map((f) => f.message))].join('; ');
    await this.renderQueue(
      req,
      res,
      {},
      {
        kind: 'error',
        text: `Assigned ${result.assigned.length} of ${result.assigned.length + result.failed.length}; ${result.failed.length} could not be assigned: ${reasons}.`,
      },
    );
  }

  // ------------------------------------------------------ one intervention

  @Get('interventions/:id')
  @Page()
  @RequirePermission('interventions.read')
  async detail(@Req() req: AppRequest, @Res() res: Response, @Param('id') id: string) {
    await this.renderDetail(req, res, id, null, 200);
  }

  private async renderDetail(
    req: AppRequest,
    res: Response,
    id: string,
    error: string | null,
    status: number,
  ): Promise<void> {
    if (!UUID.test(id)) throw new DetailedHttpError(404, 'no such intervention');
    const actor = actorOf(req.principal);
    const iv = await this.interventions.get(id, actor);
    const staff = actor.canAssign ? await this.interventions.staff() : [];
    this.pages.send(req, res, 'interventions/detail', this.detailContext(iv, actor, staff), {
      title: `${INTERVENTION_TYPE_INFO[iv.type].label} · ${iv.tutorName}`,
      status,
      flash: error ? { kind: 'error', text: error } : null,
    });
  }

  private detailContext(
    iv: InterventionDetail,
    actor: Actor,
    staff: { id: string; fullName: string; roles: string[] }[],
  ) {
    const now = this.clock.now().getTime();
    const canWork = actor.canAssign || (actor.userId !== null && iv.assigneeId === actor.userId);
    const moves = canWork ? nextStatuses(iv.status) : [];
    const current = STATUSES.indexOf(iv.status);
    return {
      iv: {
        ...iv,
        typeLabel: INTERVENTION_TYPE_INFO[iv.type].label,
        owner: INTERVENTION_TYPE_INFO[iv.type].owner,
        statusLabel: STATUS_LABEL[iv.status],
        slaLabel: SLA_LABEL[iv.slaState],
        createdAtText: when(iv.createdAt),
        resolvedAtText: when(iv.resolvedAt),
        outcomeLabel: iv.outcome ? OUTCOME_LABEL[iv.outcome] : '',
      },
      evidence: Object.entries(iv.evidence).map(([key, value]) => ({
        key,
        value:
          typeof value === 'number'
            ? String(Math.round(value * 1000) / 1000)
            : typeof value === 'object'
              ? JSON.stringify(value)
              : String(value),
      })),
      targets: iv.sla.map((t) => ({
        ...t,
        label: t.target === 'first_action' ? 'First action (assigned and started)' : 'Resolution',
        stateLabel: SLA_LABEL[t.state] ?? t.state,
        dueText: when(t.dueAt),
        dueRelative: t.metAt ? `met ${when(t.metAt)}` : relative(Date.parse(t.dueAt) - now),
        elapsedText: hours(t.elapsedMinutes),
        pausedText: hours(t.pausedMinutes),
        leftText: hours(t.leftMinutes),
        targetText: hours(t.targetMinutes),
        barClass: `bar-${Math.min(100, Math.round(t.percent / 5) * 5)}`,
        running: !t.metAt && !t.paused,
      })),
      tracker: ['open', 'assigned', 'in_progress', 'waiting', 'completed'].map((s, index) => ({
        label: STATUS_LABEL[s as InterventionStatus],
        current: s === iv.status,
        done: iv.status !== 'cancelled' && index < current,
      })),
      cancelled: iv.status === 'cancelled',
      history: iv.history.map((h) => ({
        ...h,
        atText: when(h.at),
        fromLabel: h.from ? STATUS_LABEL[h.from] : null,
        toLabel: STATUS_LABEL[h.to],
        who: h.actorName ?? 'TutorMax (system)',
        reassign: h.from === h.to,
      })),
      notes: iv.notes.map((n) => ({
        ...n,
        atText: when(n.createdAt),
        who: n.authorName ?? 'TutorMax',
      })),
      canAssign: actor.canAssign && !['completed', 'cancelled'].includes(iv.status),
      staff: staff.map((s) => ({
        id: s.id,
        name: `${s.fullName} (${s.roles.join(', ')})`,
        selected: s.id === iv.assigneeId,
      })),
      priorities: PRIORITIES.map((p) => ({ value: p, selected: p === iv.priority })),
      canWork,
      moves: moves
        .filter((s) => s !== 'completed' && s !== 'cancelled')
        .map((s) => ({
          value: s,
          label:
            s === 'waiting'
              ? 'Wait on tutor (pause SLA)'
              : s === 'in_progress'
                ? iv.status === 'waiting'
                  ? 'Resume'
                  : 'Start'
                : STATUS_LABEL[s],
        })),
      canComplete: moves.includes('completed'),
      canCancel: moves.includes('cancelled'),
      outcomes: OUTCOMES.map((o) => ({ value: o, label: OUTCOME_LABEL[o] })),
      canNote: canWork,
    };
  }

  @Post('interventions/:id/assign')
  @Page()
  @RequirePermission('interventions.assign')
  async assign(
    @Req() req: AppRequest,
    @Res() res: Response,
    @Param('id') id: string,
    @Body() body: FormBody,
  ) {
    await this.formAction(req, res, id, () => {
      const assigneeId = text(body.assigneeId);
      if (!UUID.test(assigneeId))
        throw new DetailedHttpError(400, 'choose someone to assign it to');
      return this.interventions.assign(id, assigneeId, actorOf(req.principal));
    });
  }

  @Post('interventions/:id/priority')
  @Page()
  @RequirePermission('interventions.assign')
  async priority(
    @Req() req: AppRequest,
    @Res() res: Response,
    @Param('id') id: string,
    @Body() body: FormBody,
  ) {
    await this.formAction(req, res, id, () => {
      const priority = text(body.priority) as Priority;
      if (!PRIORITIES.includes(priority))
        throw new DetailedHttpError(400, `priority must be one of ${PRIORITIES.join(', ')}`);
      const note = text(body.note).trim();
      if (note.length > 2000)
        throw new DetailedHttpError(400, 'a note is at most 2,000 characters');
      return this.interventions.changePriority(
        id,
        priority,
        note || undefined,
        actorOf(req.principal),
      );
    });
  }

  @Post('interventions/:id/transitions')
  @Page()
  @RequirePermission('interventions.work')
  async move(
    @Req() req: AppRequest,
    @Res() res: Response,
    @Param('id') id: string,
    @Body() body: FormBody,
  ) {
    await this.formAction(req, res, id, () => {
      const to = text(body.to) as InterventionStatus;
      if (!STATUSES.includes(to)) throw new DetailedHttpError(400, 'choose a status to move to');
      const outcome = text(body.outcome) as InterventionOutcome;
      return this.interventions.transition(
        id,
        {
          to,
          note: text(body.note).trim() || undefined,
          outcome: OUTCOMES.includes(outcome) ? outcome : undefined,
          reason: text(body.reason).trim() || undefined,
        },
        actorOf(req.principal),
      );
    });
  }

  @Post('interventions/:id/notes')
  @Page()
  @RequirePermission('interventions.work')
  async note(
    @Req() req: AppRequest,
    @Res() res: Response,
    @Param('id') id: string,
    @Body() body: FormBody,
  ) {
    await this.formAction(req, res, id, async () => {
      const note = text(body.body).trim();
      if (!note) throw new DetailedHttpError(400, 'write something in the note');
      if (note.length > 5000)
        throw new DetailedHttpError(400, 'a note is at most 5,000 characters');
      await this.interventions.addNote(id, note, actorOf(req.principal));
    });
  }

  /** Runs a form's change; a refusal re-renders the page with the reason (and its status). */
  private async formAction(
    req: AppRequest,
    res: Response,
    id: string,
    work: () => Promise<unknown>,
  ) {
    if (!UUID.test(id)) throw new DetailedHttpError(404, 'no such intervention');
    try {
      await work();
    } catch (error) {
      if (
        !(error instanceof DetailedHttpError) ||
        error.statusCode === 404 ||
        error.statusCode === 403
      )
        throw error;
      return this.renderDetail(req, res, id, error.message, error.statusCode);
    }
    res.redirect(303, `/interventions/${id}`);
  }

  // ---------------------------------------------------------------- tutors

  @Get('tutors')
  @Page()
  @RequirePermission('tutors.read_risk')
  async tutors(@Req() req: AppRequest, @Res() res: Response, @Query() q: Record<string, unknown>) {
    const search = text(q.q).trim().slice(0, 100);
    const tier = (PERFORMANCE_TIERS as readonly string[]).includes(text(q.tier))
      ? text(q.tier)
      : '';
    const band = (RISK_BANDS as readonly string[]).includes(text(q.band)) ? text(q.band) : '';
    const offset = Math.max(0, Math.min(100_000, Number.parseInt(text(q.offset) || '0', 10) || 0));
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const where: string[] = [];
    if (search)
      where.push(
        `(t.name ILIKE ${p(`%${search.replace(/[%_\\]/g, '\\$&')}%`)} OR t.external_id ILIKE $${params.length})`,
      );
    if (tier) where.push(`pt.tier = ${p(tier)}`);
    if (band) where.push(`r.band = ${p(band)}`);
    const rows: {
      id: string;
      name: string;
      external_id: string;
      status: string;
      tier: string | null;
      avg_rating: number | null;
      engagement_score: number | null;
      sessions_completed: number | null;
      open_count: number;
      churn_score: number | null;
      band: string | null;
    }[] = await this.dataSource.query(
      `SELECT t.id, t.name, t.external_id, t.status, pt.tier, s.avg_rating, s.engagement_score, s.sessions_completed,
              (SELECT count(*)::int FROM interventions i WHERE i.tutor_id = t.id
                 AND i.status IN ('open', 'assigned', 'in_progress', 'waiting')) AS open_count,
              r.churn_score, r.band
         FROM tutors t
         LEFT JOIN tutor_risk r ON r.tutor_id = t.id
         LEFT JOIN tutor_performance_tiers pt ON pt.tutor_id = t.id
         LEFT JOIN LATERAL (SELECT avg_rating, engagement_score, sessions_completed FROM tutor_metric_snapshots
                             WHERE tutor_id = t.id AND window_days = 30 ORDER BY snapshot_date DESC LIMIT 1) s ON true
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY r.churn_score DESC NULLS LAST, open_count DESC, pt.performance_score ASC NULLS LAST, t.name, t.id
        LIMIT 51 OFFSET ${p(offset)}`,
      params,
    );
    const more = rows.length > 50;
    const next = new URLSearchParams({
      ...(search ? { q: search } : {}),
      ...(tier ? { tier } : {}),
      ...(band ? { band } : {}),
      offset: String(offset + 50),
    });
    this.pages.send(
      req,
      res,
      'tutors/list',
      {
        q: search,
        tiers: PERFORMANCE_TIERS.map((t) => ({ value: t, selected: t === tier })),
        bands: RISK_BANDS.map((b) => ({ value: b, selected: b === band })),
        rows: rows.slice(0, 50).map((r) => ({
          ...r,
          tier: r.tier ?? 'Not rated',
          avgRating: r.avg_rating === null ? '—' : r.avg_rating.toFixed(2),
          engagement: r.engagement_score === null ? '—' : `${Math.round(r.engagement_score)}`,
          sessions: r.sessions_completed ?? 0,
          churnScore: r.churn_score === null ? null : Math.round(r.churn_score),
        })),
        nextHref: more ? `/tutors?${next.toString()}` : null,
      },
      { title: 'Tutors' },
    );
  }

  @Get('tutors/:id')
  @Page()
  @RequirePermission('tutors.read_risk')
  async tutor(@Req() req: AppRequest, @Res() res: Response, @Param('id') id: string) {
    if (!UUID.test(id)) throw new DetailedHttpError(404, 'no such tutor');
    // The tutor with its tier, latest metrics per window and current risk, in one statement
    // (real and integer columns come through JSON unchanged; timestamps as ISO text).
    const [tutor]: {
      id: string;
      name: string;
      external_id: string;
      status: string;
      onboarding_date: string;
      subjects: string[];
      tier: string | null;
      tier_since: string | null;
      metrics: Record<string, number | null>[];
      risk: Record<string, unknown> | null;
    }[] = await this.dataSource.query(
      `SELECT t.id, t.name, t.external_id, t.status, t.onboarding_date::text AS onboarding_date, t.subjects,
              p.tier, p.tier_since::text AS tier_since,
              (SELECT coalesce(json_agg(m ORDER BY m.window_days), '[]')
                 FROM (SELECT DISTINCT ON (window_days) window_days, sessions_completed, avg_rating,
                              first_session_success_rate, reschedule_rate, no_show_rate, engagement_score,
                              learning_objectives_met_rate
                         FROM tutor_metric_snapshots WHERE tutor_id = t.id
                        ORDER BY window_days, snapshot_date DESC) m) AS metrics,
              -- Read-only: the prediction module's current risk row (it owns the table).
              (SELECT row_to_json(r)
                 FROM (SELECT churn_score, band, scored_score, probabilities, top_factors, model_version,
                              as_of::text AS as_of, scored_at, override_score, override_reason,
                              override_expires_at, override_by_user_id
                         FROM tutor_risk WHERE tutor_id = t.id) r) AS risk
         FROM tutors t LEFT JOIN tutor_performance_tiers p ON p.tutor_id = t.id
        WHERE t.id = $1`,
      [id],
    );
    if (!tutor) throw new DetailedHttpError(404, 'no such tutor');
    const actor = actorOf(req.principal);
    const [history, sessions, notes] = await Promise.all([
      this.interventions.list({ tutorId: id, sort: 'created', limit: 50 }, actor),
      this.sessions.listSessions(
        Object.assign(new SessionListQuery(), { tutorId: id, limit: 10 }),
        readerOf(req),
      ),
      this.managerNotes.list(id, { limit: 50 }, { tutorKnown: true }),
    ]);
    const { metrics, risk, tier, tier_since: tierSince, ...row } = tutor;
    const scoredAt = risk ? new Date(risk.scored_at as string).toISOString() : '';
    const now = this.clock.now().getTime();
    const fmt = (v: number | null | undefined, kind: 'pct' | 'rating' | 'n') =>
      v === null || v === undefined
        ? '—'
        : kind === 'pct'
          ? `${Math.round(v * 100)}%`
          : kind === 'rating'
            ? v.toFixed(2)
            : String(Math.round(v));
    this.pages.send(
      req,
      res,
      'tutors/detail',
      {
        tutor: { ...row, subjects: row.subjects.join(', ') },
        tier: tier ?? 'Not rated',
        tierSince: tierSince ?? '',
        windows: metrics.map((m) => ({
          days: m.window_days,
          sessions: fmt(m.sessions_completed, 'n'),
          rating: fmt(m.avg_rating, 'rating'),
          fssr: fmt(m.first_session_success_rate, 'pct'),
          reschedule: fmt(m.reschedule_rate, 'pct'),
          noShow: fmt(m.no_show_rate, 'pct'),
          engagement: fmt(m.engagement_score, 'n'),
          objectives: fmt(m.learning_objectives_met_rate, 'pct'),
        })),
        interventions: history.items.map((i) => queueRow(i, now)),
        churn: risk
          ? {
              churnScore: Math.round(risk.churn_score as number),
              band: risk.band,
              scoredScore: risk.scored_score,
              probabilities: risk.probabilities,
              topFactors: risk.top_factors,
              modelVersion: risk.model_version,
              asOf: risk.as_of,
              scoredAt,
              scoredAtText: when(scoredAt),
              override:
                risk.override_score === null
                  ? null
                  : {
                      score: risk.override_score,
                      reason: risk.override_reason,
                      expiresAt: risk.override_expires_at
                        ? new Date(risk.override_expires_at as string).toISOString()
                        : null,
                      byUserId: risk.override_by_user_id,
                    },
              tutorId: tutor.id,
            }
          : null,
        managerNotes: notes.items.map((n) => ({
          ...n,
          atText: when(n.createdAt),
          who: n.authorName ?? 'TutorMax',
        })),
        canNote:
          (req.principal?.kind === 'user' && req.principal.permissions.has('interventions.work')) ??
          false,
        canOverrideRisk:
          req.principal?.kind === 'user' && req.principal.permissions.has('prediction.override'),
        sessions: sessions.items.map((s) => ({
          subject: s.subject,
          durationMinutes: s.durationMinutes,
          status: s.status,
          at: when(s.scheduledStart.toISOString()),
        })),
      },
      { title: tutor.name },
    );
  }

  @Post('tutors/:id/notes')
  @Page()
  @RequirePermission('interventions.work')
  @Audited({ resource: 'tutor', action: 'tutor.manager_note_added' })
  async addManagerNote(
    @Req() req: AppRequest,
    @Res() res: Response,
    @Param('id') id: string,
    @Body() body: FormBody,
  ) {
    if (!UUID.test(id)) throw new DetailedHttpError(404, 'no such tutor');
    await this.managerNotes.add(id, text(body.body), actorOf(req.principal).userId);
    res.redirect(303, `/tutors/${id}#h-mnotes`);
  }

  // ------------------------------------------------------------- dashboard

  @Get('dashboard')
  @Page()
  @RequirePermission('interventions.read')
  dashboard(@Req() req: AppRequest, @Res() res: Response) {
    return this.dashboardPage.render(req, res);
  }
}

/** The page's filters as the API's query (the CSV export takes the same filters). */
function exportParams(f: ListFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (f.status?.length) params.set('status', f.status.join(','));
  if (f.type?.length) params.set('type', f.type.join(','));
  if (f.priority?.length) params.set('priority', f.priority.join(','));
  if (f.assignee) params.set('assignee', f.assignee);
  if (f.tutorId) params.set('tutorId', f.tutorId);
  if (f.slaState) params.set('slaState', f.slaState);
  if (f.dueBefore) params.set('dueBefore', f.dueBefore.toISOString());
  if (f.sort) params.set('sort', f.sort);
  return params;
}

const hours = (minutes: number) => {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h ? `${h} h ${m} min` : `${m} min`;
};

export type { Priority };

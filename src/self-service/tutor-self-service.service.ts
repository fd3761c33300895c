import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal } from '../auth/principal';
import { Clock } from '../common/clock';
import { DetailedHttpError } from '../common/error-body';
import type { Page } from '../common/pagination';
import type { TutorMetricSnapshot } from '../performance/entities/tutor-metric-snapshot.entity';
import { METRIC_WINDOWS, MetricWindow } from '../performance/performance.constants';
import { PerformanceQueryService } from '../performance/performance-query.service';
import { Badge, badgesOf } from './badges';
import { TutorAcknowledgement, AcknowledgeableKind } from './entities/tutor-acknowledgement.entity';
import { TutorGoal } from './entities/tutor-goal.entity';
import { TutorTrainingProgress } from './entities/tutor-training-progress.entity';
import {
  checkGoal,
  GOAL_TYPE_INFO,
  GoalProgress,
  goalProgress,
  GoalStatus,
  GoalType,
  isoDay,
  MAX_OPEN_GOALS,
} from './goals';
import {
  formatMetric,
  GuidedMetric,
  METRIC_GUIDE,
  Standing,
  STANDING_LABEL,
  standingOf,
} from './metric-guide';
import { cohortBounds, peerPercentiles, Percentiles } from './peer-percentiles';
import {
  AnonymousFeedback,
  FirstSessionResult,
  SelfServiceQueries,
} from './self-service-queries.service';
import {
  Priority,
  recommend,
  TRAINING_MODULES,
  TrainingCategory,
  TrainingStatus,
} from './training-catalogue';
import { trendChart, TrendChart } from './trend-chart';

/** Intervention types a tutor is told about: coaching and mentoring they take part in. */
export const SUPPORT_TYPES = [
  'manager_coaching',
  'peer_mentoring',
  'first_session_checkin',
] as const;

const SUPPORT_LABEL: Record<string, string> = {
  manager_coaching: 'One-to-one coaching with your manager',
  peer_mentoring: 'Peer mentoring',
  first_session_checkin: 'First-session check-in with a coach',
};

/** Intervention statuses in the tutor's words. */
const SUPPORT_STATUS: Record<string, string> = {
  open: 'Being arranged',
  assigned: 'Scheduled',
  in_progress: 'In progress',
  waiting: 'Waiting for you',
  completed: 'Done',
};

const MESSAGE_TITLE: Record<string, string> = {
  'intervention-automated:automated_coaching': 'Coaching tips',
  'intervention-automated:training_module': 'New training modules',
  'intervention-automated:rescheduling_alert': 'Scheduling reminder',
  'intervention-automated:recognition': 'Recognition for your work',
  'first-session-checkin': 'First-session check-in',
};

export interface MetricView {
  key: GuidedMetric;
  label: string;
  explanation: string;
  values: Record<MetricWindow, { value: number | null; display: string; standing: Standing }>;
  standingLabel: string;
  chart: TrendChart;
}

export interface TutorOverview {
  name: string;
  tier: {
    tier: string | null;
    since: string | null;
    daysHeld: number | null;
    previousTier: string | null;
  };
  metrics: MetricView[];
  computedAt: Date | null;
}

export interface GoalView {
  id: string;
  type: GoalType;
  typeLabel: string;
  title: string | null;
  target: number | null;
  baseline: number | null;
  current: number | null;
  startsOn: string;
  dueOn: string;
  completedAt: Date | null;
  status: GoalStatus;
  progress: number;
}

export interface TrainingView {
  id: string;
  title: string;
  category: TrainingCategory;
  minutes: number;
  summary: string;
  recommended: boolean;
  priority: Priority | null;
  because: string | null;
  status: TrainingStatus;
  startedAt: Date | null;
  completedAt: Date | null;
}

export interface InboxView {
  messages: {
    id: string;
    title: string;
    sentAt: Date;
    acknowledged: boolean;
    acknowledgedAt: Date | null;
  }[];
  support: {
    id: string;
    type: string;
    title: string;
    date: Date;
    status: string;
    statusLabel: string;
    acknowledged: boolean;
    acknowledgedAt: Date | null;
  }[];
}

const SCALE: Record<GuidedMetric, { min: number; max: number }> = {
  avgRating: { min: 1, max: 5 },
  firstSessionSuccessRate: { min: 0, max: 1 },
  rescheduleRate: { min: 0, max: 0.5 },
  noShowRate: { min: 0, max: 0.2 },
  engagementScore: { min: 0, max: 100 },
  learningObjectivesMetRate: { min: 0, max: 1 },
  sessionsCompleted: { min: 0, max: 0 },
};

const DAY_MS = 86_400_000;

/**
 * A tutor's own view of themselves. Every method takes the caller and works
 * only on the tutor record linked to the caller's account.
 */
@Injectable()
export class TutorSelfService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queries: SelfServiceQueries,
    private readonly performance: PerformanceQueryService,
    private readonly clock: Clock,
  ) {}

  /** The caller's linked tutor id; 404 when the account has none. */
  tutorIdOf(principal: Principal | undefined): string {
    if (principal?.kind !== 'user' || !principal.tutorId)
      throw new DetailedHttpError(404, 'your account is not linked to a tutor record');
    return principal.tutorId;
  }

  async overview(tutorId: string): Promise<TutorOverview> {
    const basics = await this.queries.tutorBasics(tutorId);
    if (!basics) throw new DetailedHttpError(404, 'your tutor record no longer exists');
    const perf = await this.performance.tutorPerformance(tutorId);
    const today = this.clock.now();
    const trend = await this.queries.trend(
      tutorId,
      isoDay(new Date(today.getTime() - 90 * DAY_MS)),
    );
    const metrics = METRIC_GUIDE.map((guide): MetricView => {
      const values = Object.fromEntries(
        METRIC_WINDOWS.map((w) => {
          const snapshot = perf.windows[w];
          const value = snapshot
            ? (snapshot[guide.key as keyof TutorMetricSnapshot] as number | null)
            : null;
          return [
            w,
            { value, display: formatMetric(guide.unit, value), standing: standingOf(guide, value) },
          ];
        }),
      ) as MetricView['values'];
      const points = trend.map((row) => ({
        day: String(row.day),
        value: row[guide.key] === null ? null : Number(row[guide.key]),
      }));
      const scale =
        guide.key === 'sessionsCompleted'
          ? { min: 0, max: Math.max(1, ...points.map((p) => p.value ?? 0)) }
          : SCALE[guide.key];
      return {
        key: guide.key,
        label: guide.label,
        explanation: guide.explanation,
        values,
        standingLabel: STANDING_LABEL[values['30day'].standing],
        chart: trendChart(points, scale, guide, (v) => formatMetric(guide.unit, v)),
      };
    });
    const tier = perf.tier;
    const daysHeld = tier
      ? Math.max(
          0,
          Math.floor((today.getTime() - Date.parse(`${tier.tierSince}T00:00:00Z`)) / DAY_MS),
        )
      : null;
    return {
      name: basics.name,
      tier: {
        tier: tier?.tier ?? null,
        since: tier?.tierSince ?? null,
        daysHeld,
        previousTier: tier?.previousTier ?? null,
      },
      metrics,
      computedAt: perf.windows['30day']?.computedAt ?? null,
    };
  }

  async peers(tutorId: string): Promise<Percentiles> {
    const basics = await this.queries.tutorBasics(tutorId);
    if (!basics) throw new DetailedHttpError(404, 'your tutor record no longer exists');
    const bounds = cohortBounds(basics.onboardingDate);
    return peerPercentiles(await this.queries.cohortRows(tutorId, bounds.from, bounds.to), bounds);
  }

  feedback(tutorId: string, limit: number, cursor?: string): Promise<Page<AnonymousFeedback>> {
    return this.queries.tutorFeedback(tutorId, limit, cursor);
  }

  async firstSessions(tutorId: string): Promise<{
    summary: { held: number; rated: number; succeeded: number; successRate: number | null };
    items: FirstSessionResult[];
  }> {
    const items = await this.queries.firstSessions(tutorId, 20);
    const held = items.filter((i) => i.status === 'completed').length;
    const rated = items.filter((i) => i.rating !== null).length;
    const succeeded = items.filter((i) => i.success).length;
    return {
      summary: { held, rated, succeeded, successRate: rated ? succeeded / rated : null },
      items,
    };
  }

  private async latest30(tutorId: string): Promise<TutorMetricSnapshot | undefined> {
    return (await this.performance.tutorPerformance(tutorId)).windows['30day'];
  }

  async badges(tutorId: string): Promise<Badge[]> {
    const m = await this.latest30(tutorId);
    const counts = await this.queries.tutorCounts(tutorId);
    return badgesOf({
      sessionsAllTime: counts.sessionsAllTime,
      longestStreakDays: counts.longestStreakDays,
      avgRating30: m?.avgRating ?? null,
      ratingsCount30: m?.ratingsCount ?? 0,
      engagementScore30: m?.engagementScore ?? null,
      firstSessionSuccessRate30: m?.firstSessionSuccessRate ?? null,
      firstSessionsRated30: m?.firstSessionsRated ?? 0,
    });
  }

  // ------------------------------------------------------------------ training

  async training(tutorId: string): Promise<TrainingView[]> {
    const m = await this.latest30(tutorId);
    const recs = recommend({
      avgRating: m?.avgRating ?? null,
      firstSessionSuccessRate: m?.firstSessionSuccessRate ?? null,
      rescheduleRate: m?.rescheduleRate ?? null,
      noShowRate: m?.noShowRate ?? null,
      engagementScore: m?.engagementScore ?? null,
      learningObjectivesMetRate: m?.learningObjectivesMetRate ?? null,
    });
    const progress = await this.dataSource.getRepository(TutorTrainingProgress).findBy({ tutorId });
    const byModule = new Map(progress.map((p) => [p.moduleId, p]));
    const rank = { high: 0, medium: 1, low: 2 };
    return TRAINING_MODULES.map((mod): TrainingView => {
      const rec = recs.find((r) => r.moduleId === mod.id);
      const p = byModule.get(mod.id);
      return {
        ...mod,
        recommended: Boolean(rec),
        priority: rec?.priority ?? null,
        because: rec?.because ?? null,
        status: p?.status ?? 'not_started',
        startedAt: p?.startedAt ?? null,
        completedAt: p?.completedAt ?? null,
      };
    }).sort(
      (a, b) =>
        Number(b.recommended) - Number(a.recommended) ||
        (a.priority ? rank[a.priority] : 3) - (b.priority ? rank[b.priority] : 3),
    );
  }

  async setTraining(
    tutorId: string,
    moduleId: string,
    status: TrainingStatus,
  ): Promise<TrainingView> {
    if (!TRAINING_MODULES.some((m) => m.id === moduleId))
      throw new DetailedHttpError(404, `no training module ${moduleId}`);
    const repo = this.dataSource.getRepository(TutorTrainingProgress);
    const now = this.clock.now();
    if (status === 'not_started') {
      await repo.delete({ tutorId, moduleId });
    } else {
      const existing = await repo.findOneBy({ tutorId, moduleId });
      await repo.save({
        tutorId,
        moduleId,
        status,
        startedAt: existing?.startedAt ?? now,
        completedAt: status === 'completed' ? (existing?.completedAt ?? now) : null,
        updatedAt: now,
      });
    }
    return (await this.training(tutorId)).find((m) => m.id === moduleId)!;
  }

  // --------------------------------------------------------------------- goals

  /** The metric a goal type follows, now (session_volume: counted by the caller). */
  private async currentFor(
    type: GoalType,
    m: TutorMetricSnapshot | undefined,
    retention: () => Promise<number | null>,
  ): Promise<number | null> {
    switch (type) {
      case 'rating_improvement':
        return m?.avgRating ?? null;
      case 'on_time_percentage':
        return m?.onTimeRate ?? null;
      case 'first_session_success':
        return m?.firstSessionSuccessRate ?? null;
      case 'engagement_score':
        return m?.engagementScore ?? null;
      case 'student_retention':
        return retention();
      default:
        return null;
    }
  }

  async goals(tutorId: string): Promise<GoalView[]> {
    const goals = await this.dataSource
      .getRepository(TutorGoal)
      .find({ where: { tutorId }, order: { createdAt: 'DESC', id: 'DESC' } });
    if (!goals.length) return [];
    const m = await this.latest30(tutorId);
    let retention: Promise<number | null> | undefined;
    const retentionOnce = () =>
      (retention ??= this.queries.tutorCounts(tutorId).then((c) => c.retention));
    const today = this.clock.now();
    const views: GoalView[] = [];
    for (const g of goals) {
      const current =
        g.type === 'session_volume'
          ? await this.queries.completedSince(tutorId, g.startsOn, g.dueOn)
          : await this.currentFor(g.type, m, retentionOnce);
      views.push(this.goalView(g, current, today));
    }
    return views;
  }

  private goalView(g: TutorGoal, current: number | null, today: Date): GoalView {
    const p: GoalProgress = goalProgress(
      {
        type: g.type,
        target: g.targetValue,
        baseline: g.baselineValue,
        dueOn: g.dueOn,
        completedAt: g.completedAt,
        current,
      },
      today,
    );
    return {
      id: g.id,
      type: g.type,
      typeLabel: GOAL_TYPE_INFO[g.type].label,
      title: g.title,
      target: g.targetValue,
      baseline: g.baselineValue,
      current,
      startsOn: g.startsOn,
      dueOn: g.dueOn,
      completedAt: g.completedAt,
      status: p.status,
      progress: Math.round(p.progress * 100) / 100,
    };
  }

  private async ownGoal(tutorId: string, id: string): Promise<TutorGoal> {
    const goal = await this.dataSource.getRepository(TutorGoal).findOneBy({ id, tutorId });
    if (!goal) throw new DetailedHttpError(404, `you have no goal ${id}`);
    return goal;
  }

  async goal(tutorId: string, id: string): Promise<GoalView> {
    await this.ownGoal(tutorId, id);
    return (await this.goals(tutorId)).find((g) => g.id === id)!;
  }

  async createGoal(
    tutorId: string,
    input: { type: GoalType; target?: number | null; title?: string | null; dueOn: string },
  ): Promise<GoalView> {
    const today = this.clock.now();
    const draft = {
      type: input.type,
      target: input.target ?? null,
      title: input.title?.trim() || null,
      dueOn: input.dueOn,
    };
    checkGoal(draft, today);
    const open = (await this.goals(tutorId)).filter(
      (g) => g.status !== 'achieved' && g.status !== 'expired',
    );
    if (open.length >= MAX_OPEN_GOALS)
      throw new DetailedHttpError(
        409,
        `you already have ${MAX_OPEN_GOALS} open goals; finish or delete one first`,
      );
    const m = await this.latest30(tutorId);
    const baseline =
      draft.type === 'session_volume' || draft.type === 'custom'
        ? null
        : await this.currentFor(draft.type, m, () =>
            this.queries.tutorCounts(tutorId).then((c) => c.retention),
          );
    const repo = this.dataSource.getRepository(TutorGoal);
    const saved = await repo.save(
      repo.create({
        tutorId,
        type: draft.type,
        title: draft.title,
        targetValue: draft.target,
        baselineValue: baseline,
        startsOn: isoDay(today),
        dueOn: draft.dueOn,
        completedAt: null,
      }),
    );
    return this.goal(tutorId, saved.id);
  }

  async updateGoal(
    tutorId: string,
    id: string,
    input: { target?: number | null; title?: string | null; dueOn?: string; completed?: boolean },
  ): Promise<GoalView> {
    const goal = await this.ownGoal(tutorId, id);
    const draft = {
      type: goal.type,
      target: input.target !== undefined ? input.target : goal.targetValue,
      title: input.title !== undefined ? input.title?.trim() || null : goal.title,
      dueOn: input.dueOn ?? goal.dueOn,
    };
    if (input.dueOn !== undefined || input.target !== undefined || input.title !== undefined)
      checkGoal(draft, this.clock.now(), input.dueOn !== undefined);
    if (input.completed !== undefined && goal.type !== 'custom')
      throw new DetailedHttpError(
        400,
        'completed can be set only on a custom goal; other goals are achieved by their metric',
        [{ field: 'completed', message: 'completed can be set only on a custom goal' }],
      );
    await this.dataSource.getRepository(TutorGoal).update(
      { id, tutorId },
      {
        targetValue: draft.target,
        title: draft.title,
        dueOn: draft.dueOn,
        ...(input.completed !== undefined
          ? { completedAt: input.completed ? (goal.completedAt ?? this.clock.now()) : null }
          : {}),
      },
    );
    return this.goal(tutorId, id);
  }

  async deleteGoal(tutorId: string, id: string): Promise<void> {
    await this.ownGoal(tutorId, id);
    await this.dataSource.getRepository(TutorGoal).delete({ id, tutorId });
  }

  // --------------------------------------------------------------------- inbox

  async inbox(tutorId: string): Promise<InboxView> {
    const [messages, support] = await Promise.all([
      this.queries.messagesTo(tutorId),
      this.queries.supportFor(tutorId, SUPPORT_TYPES),
    ]);
    return {
      messages: messages.map((m) => ({
        id: m.id,
        title:
          MESSAGE_TITLE[m.interventionType ? `${m.workflow}:${m.interventionType}` : m.workflow] ??
          'Message from TutorMax',
        sentAt: m.sentAt,
        acknowledged: m.acknowledgedAt !== null,
        acknowledgedAt: m.acknowledgedAt,
      })),
      support: support.map((s) => ({
        id: s.id,
        type: s.type,
        title: SUPPORT_LABEL[s.type] ?? 'Support',
        date: s.createdAt,
        status: s.status,
        statusLabel: SUPPORT_STATUS[s.status] ?? s.status,
        acknowledged: s.acknowledgedAt !== null,
        acknowledgedAt: s.acknowledgedAt,
      })),
    };
  }

  async acknowledge(
    tutorId: string,
    userId: string,
    kind: AcknowledgeableKind,
    id: string,
  ): Promise<{ kind: AcknowledgeableKind; id: string; acknowledgedAt: Date }> {
    if (!(await this.queries.isAddressedTo(tutorId, kind, id, SUPPORT_TYPES)))
      throw new DetailedHttpError(404, `nothing of kind ${kind} with id ${id} is addressed to you`);
    await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(TutorAcknowledgement)
      .values({
        tutorId,
        subjectKind: kind,
        subjectId: id,
        acknowledgedAt: this.clock.now(),
        userId,
      })
      .orIgnore()
      .execute();
    const row = await this.dataSource
      .getRepository(TutorAcknowledgement)
      .findOneByOrFail({ tutorId, subjectKind: kind, subjectId: id });
    return { kind, id, acknowledgedAt: row.acknowledgedAt };
  }
}

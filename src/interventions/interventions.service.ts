import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import type { Principal } from '../auth/principal';
import { Clock } from '../common/clock';
import { DetailedHttpError } from '../common/error-body';
import { decodeCursor, encodeCursor, Page } from '../common/pagination';
import { queryRows } from '../common/query-rows';
import { JobQueue } from '../workers/job-queue.service';
import { OutboxService } from '../workers/outbox.service';
import { JOBS } from '../workers/queues';
import { InterventionConfigService, VersionedConfig } from './intervention-config.service';
import { InterventionNote } from './entities/intervention-note.entity';
import { InterventionTransition } from './entities/intervention-transition.entity';
import { Intervention } from './entities/intervention.entity';
import {
  ASSIGNABLE_ROLES,
  FINAL_STATUSES,
  INTERVENTION_TYPE_INFO,
  InterventionOutcome,
  InterventionStatus,
  InterventionType,
  isFinal,
  OPEN_STATUSES,
  Priority,
  PRIORITY_RANK,
} from './intervention.constants';
import {
  NOTICE_STAGES,
  noticeTimes,
  SLA_TARGETS,
  slaClocks,
  SlaPolicyDocument,
  SlaTarget,
  StatusChange,
  targetsFor,
  TargetClock,
} from './intervention-sla';
import { transitionProblem } from './intervention-workflow';

export const RESOLVED_SORT_AT = new Date('9999-12-31T00:00:00Z');
/** The event appended (in the assigning transaction) when someone else assigns an intervention to a user. */
export const INTERVENTION_ASSIGNED_EVENT = 'intervention.assigned';
/** Open interventions recomputed per transaction after a policy change (a handful of statements each). */
export const RECOMPUTE_BATCH = 200;
/** Interventions whose clocks are computed between two turns of the event loop in a recompute. */
const RECOMPUTE_YIELD_EVERY = 50;
const UNIQUE_VIOLATION = '23505';
const STATUS_ORDER: Record<InterventionStatus, number> = {
  open: 0,
  assigned: 1,
  in_progress: 2,
  waiting: 3,
  completed: 4,
  cancelled: 5,
};

/** Who is acting, as the service needs it. */
export interface Actor {
  userId: string | null;
  /** May see and assign everything (operations managers, admins). */
  canAssign: boolean;
}

export function actorOf(principal: Principal | undefined): Actor {
  if (!principal || principal.kind !== 'user') return { userId: null, canAssign: false };
  return { userId: principal.id, canAssign: principal.permissions.has('interventions.assign') };
}

export const SYSTEM: Actor = { userId: null, canAssign: true };

export interface NewIntervention {
  tutorId: string;
  type: InterventionType;
  priority: Priority;
  reason: string;
  ruleId?: string | null;
  evidence?: Record<string, unknown>;
}

export interface StaffMember {
  id: string;
  fullName: string;
  email: string;
  roles: string[];
}

export interface TargetView {
  target: SlaTarget;
  state: string;
  dueAt: string;
  atRiskAt: string;
  metAt: string | null;
  elapsedMinutes: number;
  pausedMinutes: number;
  leftMinutes: number;
  targetMinutes: number;
  percent: number;
  paused: boolean;
}

export interface InterventionSummary {
  id: string;
  tutorId: string;
  tutorName: string;
  type: InterventionType;
  kind: string;
  priority: Priority;
  status: InterventionStatus;
  ruleId: string | null;
  reason: string;
  assigneeId: string | null;
  assigneeName: string | null;
  createdAt: string;
  resolvedAt: string | null;
  /** The next deadline (the first unmet target), null once resolved. */
  slaDueAt: string | null;
  slaState: 'on_track' | 'at_risk' | 'breached' | 'paused' | 'met' | 'missed';
  outcome: InterventionOutcome | null;
  deliveryStatus: string | null;
}

export interface InterventionDetail extends InterventionSummary {
  evidence: Record<string, unknown>;
  createdById: string | null;
  createdByName: string | null;
  cancelReason: string | null;
  deliveryError: string | null;
  sla: TargetView[];
  slaPolicyVersion: number;
  history: {
    from: InterventionStatus | null;
    to: InterventionStatus;
    at: string;
    actorId: string | null;
    actorName: string | null;
    note: string | null;
  }[];
  notes: {
    id: string;
    body: string;
    authorId: string | null;
    authorName: string | null;
    createdAt: string;
  }[];
}

export interface ListFilters {
  status?: InterventionStatus[];
  type?: InterventionType[];
  priority?: Priority[];
  assignee?: string;
  tutorId?: string;
  slaState?: string;
  dueBefore?: Date;
  sort?: 'due' | 'created' | 'priority';
  limit: number;
  cursor?: string;
}

interface SummaryRow {
  id: string;
  tutor_id: string;
  tutor_name: string;
  type: InterventionType;
  kind: string;
  priority: Priority;
  priority_rank: number;
  status: InterventionStatus;
  rule_id: string | null;
  reason: string;
  assignee_user_id: string | null;
  assignee_name: string | null;
  created_at: Date;
  resolved_at: Date | null;
  sla_sort_at: Date;
  sla_at_risk_at: Date | null;
  sla_paused: boolean;
  resolution_met_at: Date | null;
  resolution_due_at: Date;
  outcome: InterventionOutcome | null;
  delivery_status: string | null;
  sort_text: string;
  created_text: string;
}

const SUMMARY_COLUMNS = `i.id, i.tutor_id, t.name AS tutor_name, i.type, i.kind, i.priority, i.priority_rank,
  i.status, i.rule_id, i.reason, i.assignee_user_id, u.full_name AS assignee_name, i.created_at,
  i.resolved_at, i.sla_sort_at, i.sla_at_risk_at, i.sla_paused, i.resolution_met_at,
  i.resolution_due_at, i.outcome, i.delivery_status,
  i.sla_sort_at::text AS sort_text, i.created_at::text AS created_text`;

/**
 * The intervention aggregate: creation, assignment, the workflow with its
 * history, notes, and the stored SLA columns, recomputed from the history on
 * every change.
 */
@Injectable()
export class InterventionsService {
  private readonly logger = new Logger('Interventions');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: InterventionConfigService,
    private readonly jobs: JobQueue,
    private readonly clock: Clock,
    private readonly outbox: OutboxService,
  ) {}

  // ---------------------------------------------------------------- commands

  /** Creates an intervention (manual when `creatorId` is given, else by a rule). */
  async create(
    input: NewIntervention,
    actor: Actor,
    manager?: EntityManager,
  ): Promise<Intervention> {
    const run = async (m: EntityManager) => {
      const tutor: { id: string; manager_user_id: string | null }[] = await m.query(
        'SELECT id, manager_user_id FROM tutors WHERE id = $1',
        [input.tutorId],
      );
      if (!tutor.length) throw new DetailedHttpError(404, `no tutor with id ${input.tutorId}`);
      const now = this.clock.now();
      const info = INTERVENTION_TYPE_INFO[input.type];
      const repo = m.getRepository(Intervention);
      const iv = repo.create({
        tutorId: input.tutorId,
        type: input.type,
        kind: info.kind,
        priority: input.priority,
        priorityRank: PRIORITY_RANK[input.priority],
        status: 'open',
        ruleId: input.ruleId ?? null,
        createdByUserId: actor.userId,
        reason: input.reason,
        evidence: input.evidence ?? {},
        assigneeUserId: null,
        outcome: null,
        cancelReason: null,
        deliveryStatus: info.kind === 'automated' ? 'pending' : null,
        deliveryError: null,
        resolvedAt: null,
        createdAt: now,
      });
      await this.applySla(m, iv, [{ at: now.getTime(), to: 'open' }], new Set(), now);
      try {
        await m.query('SAVEPOINT create_intervention');
        await repo.save(iv);
        await m.query('RELEASE SAVEPOINT create_intervention');
      } catch (error) {
        if (
          error instanceof QueryFailedError &&
          (error as { code?: string }).code === UNIQUE_VIOLATION
        ) {
          await m.query('ROLLBACK TO SAVEPOINT create_intervention');
          const [open]: { id: string }[] = await m.query(
            `SELECT id FROM interventions WHERE tutor_id = $1 AND type = $2 AND status = ANY($3)`,
            [input.tutorId, input.type, OPEN_STATUSES],
          );
          throw new DetailedHttpError(
            409,
            `the tutor already has an open ${input.type} intervention (${open?.id ?? 'unknown'})`,
            { existingId: open?.id ?? null },
          );
        }
        throw error;
      }
      await this.recordTransition(m, iv.id, null, 'open', actor.userId, null, now);
      // Work the rule engine would give a tutor_manager goes to the tutor's manager, when they are staff.
      const managerId = tutor[0].manager_user_id;
      if (
        !actor.userId &&
        info.kind === 'human' &&
        info.staffRole === 'tutor_manager' &&
        managerId
      ) {
        const staff = await this.eligibleStaff(m, managerId);
        if (staff.length)
          await this.assignLocked(m, iv, managerId, SYSTEM, 'assigned to the tutor’s manager');
      }
      return iv;
    };
    const iv = manager ? await run(manager) : await this.dataSource.transaction(run);
    if (!manager) await this.afterCommit(iv);
    return iv;
  }

  /** Work to do once a change is committed: the exact-time SLA job and automated delivery. */
  async afterCommit(
    iv: Pick<Intervention, 'id' | 'kind' | 'status' | 'nextSlaCheckAt'>,
  ): Promise<void> {
    try {
      if (iv.kind === 'automated' && iv.status === 'open')
        await this.jobs.add(
          JOBS.interventions.deliverAutomated,
          { interventionId: iv.id },
          { jobId: `deliver:${iv.id}` },
        );
      if (iv.nextSlaCheckAt) await this.scheduleSlaCheck(iv.id, iv.nextSlaCheckAt);
    } catch (error) {
      // Redis away: the per-minute sweep picks the intervention up from next_sla_check_at.
      this.logger.warn(
        `could not enqueue follow-up jobs for ${iv.id}: ${(error as Error).message}`,
      );
    }
  }

  /** The exact-time job (`suffix` distinguishes the sweep's re-enqueue from a lost or failed one). */
  async scheduleSlaCheck(id: string, at: Date, suffix = ''): Promise<void> {
    await this.jobs.add(
      JOBS.interventions.slaCheck,
      { interventionId: id },
      {
        jobId: `sla:${id}:${at.getTime()}${suffix}`,
        delay: Math.max(0, at.getTime() - Date.now()),
      },
    );
  }

  async assign(id: string, assigneeId: string, actor: Actor, note?: string): Promise<void> {
    const iv = await this.dataSource.transaction(async (m) => {
      const iv = await this.lock(m, id);
      await this.assignLocked(m, iv, assigneeId, actor, note ?? null);
      return iv;
    });
    await this.afterCommit(iv);
  }

  async bulkAssign(
    ids: string[],
    assigneeId: string,
    actor: Actor,
  ): Promise<{
    assigned: string[];
    failed: { id: string; statusCode: number; message: string }[];
  }> {
    const assigned: string[] = [];
    const failed: { id: string; statusCode: number; message: string }[] = [];
    // The assignee is checked once, up front, so a bad one fails the whole request with 400.
    if (!(await this.eligibleStaff(this.dataSource.manager, assigneeId)).length)
      throw this.notEligible(assigneeId);
    for (const id of [...new Set(ids)]) {
      try {
        await this.assign(id, assigneeId, actor);
        assigned.push(id);
      } catch (error) {
        if (!(error instanceof DetailedHttpError)) throw error;
        failed.push({ id, statusCode: error.statusCode, message: error.message });
      }
    }
    return { assigned, failed };
  }

  private notEligible(assigneeId: string) {
    return new DetailedHttpError(
      400,
      `assigneeId ${assigneeId} is not an active user with the people_ops or operations_manager role`,
    );
  }

  private async assignLocked(
    m: EntityManager,
    iv: Intervention,
    assigneeId: string,
    actor: Actor,
    note: string | null,
  ): Promise<void> {
    if (isFinal(iv.status))
      throw new DetailedHttpError(409, `an intervention that is ${iv.status} cannot be assigned`);
    const staff = await this.eligibleStaff(m, assigneeId);
    if (!staff.length) throw this.notEligible(assigneeId);
    const now = this.clock.now();
    const from = iv.status;
    const to: InterventionStatus = from === 'open' ? 'assigned' : from;
    const text = note ?? (from === 'open' ? null : `reassigned to ${staff[0].fullName}`);
    const previous = iv.assigneeUserId;
    iv.assigneeUserId = assigneeId;
    iv.status = to;
    await this.recordTransition(m, iv.id, from, to, actor.userId, text, now);
    await this.recompute(m, iv, now);
    // "Assigned to you", sent once by its handler after commit; not when you take it yourself.
    if (assigneeId !== actor.userId && assigneeId !== previous)
      await this.outbox.append(m, [
        {
          type: INTERVENTION_ASSIGNED_EVENT,
          payload: { interventionId: iv.id, assigneeId },
        },
      ]);
  }

  /**
   * A new priority: the SLA targets are recomputed from the history under the
   * new priority's policy, so time spent waiting stays paused; the change is
   * kept in the history (the status is unchanged).
   */
  async changePriority(
    id: string,
    priority: Priority,
    note: string | undefined,
    actor: Actor,
  ): Promise<{ changed: boolean }> {
    const result = await this.dataSource.transaction(async (m) => {
      const iv = await this.lock(m, id);
      if (isFinal(iv.status))
        throw new DetailedHttpError(
          409,
          `an intervention that is ${iv.status} cannot change priority`,
        );
      if (iv.priority === priority) return { iv, changed: false };
      const now = this.clock.now();
      const text = `priority ${iv.priority} → ${priority}${note?.trim() ? `: ${note.trim()}` : ''}`;
      iv.priority = priority;
      iv.priorityRank = PRIORITY_RANK[priority];
      await this.recordTransition(m, iv.id, iv.status, iv.status, actor.userId, text, now);
      await this.recompute(m, iv, now);
      return { iv, changed: true };
    });
    if (result.changed) await this.afterCommit(result.iv);
    return { changed: result.changed };
  }

  async transition(
    id: string,
    input: {
      to: InterventionStatus;
      note?: string;
      outcome?: InterventionOutcome;
      reason?: string;
    },
    actor: Actor,
  ): Promise<void> {
    if (input.outcome && input.to !== 'completed')
      throw new DetailedHttpError(400, 'outcome is recorded only when moving to completed');
    const iv = await this.dataSource.transaction(async (m) => {
      const iv = await this.lock(m, id);
      this.assertCanWork(iv, actor);
      const problem = transitionProblem(iv.status, input.to, input);
      if (problem)
        throw new DetailedHttpError(problem.kind === 'illegal' ? 409 : 400, problem.message);
      const now = this.clock.now();
      const from = iv.status;
      iv.status = input.to;
      if (input.to === 'completed') {
        iv.outcome = input.outcome!;
        iv.resolvedAt = now;
      }
      if (input.to === 'cancelled') {
        iv.cancelReason = input.reason!.trim();
        iv.resolvedAt = now;
      }
      const note =
        input.to === 'cancelled' ? (input.note ?? input.reason!.trim()) : (input.note ?? null);
      await this.recordTransition(m, iv.id, from, input.to, actor.userId, note, now);
      await this.recompute(m, iv, now);
      return iv;
    });
    await this.afterCommit(iv);
  }

  /**
   * The outcome of an automated intervention's email, as the message log
   * records it: queued (waiting for the SMTP server), sent (the system
   * completes the intervention), failed or bounced (stays open, with the
   * error, for a person to look at), suppressed (the tutor unsubscribed: the
   * system cancels it). Idempotent: only an open intervention changes.
   */
  async recordDelivery(
    id: string,
    delivery: { status: string; error?: string | null },
  ): Promise<{ status: InterventionStatus; deliveryStatus: string | null }> {
    return this.dataSource.transaction(async (m) => {
      const iv = await this.lock(m, id);
      if (iv.status !== 'open' || iv.kind !== 'automated')
        return { status: iv.status, deliveryStatus: iv.deliveryStatus };
      const now = this.clock.now();
      const s = delivery.status;
      iv.deliveryStatus =
        s === 'sent' || s === 'queued' || s === 'suppressed'
          ? s
          : s === 'failed' || s === 'bounced'
            ? 'failed'
            : iv.deliveryStatus;
      iv.deliveryError =
        s === 'failed' || s === 'bounced'
          ? `${s === 'bounced' ? 'bounced: ' : ''}${delivery.error ?? 'the email could not be delivered'}`.slice(
              0,
              1000,
            )
          : null;
      if (s === 'sent' || s === 'suppressed') {
        iv.status = s === 'sent' ? 'completed' : 'cancelled';
        iv.resolvedAt = now;
        if (s === 'suppressed')
          iv.cancelReason = 'not delivered: the tutor unsubscribed from these emails';
        await this.recordTransition(
          m,
          iv.id,
          'open',
          iv.status,
          null,
          s === 'sent' ? 'delivered to the tutor by email' : iv.cancelReason,
          now,
        );
      }
      await this.recompute(m, iv, now);
      return { status: iv.status, deliveryStatus: iv.deliveryStatus };
    });
  }

  /** Fresh evidence from a rule for an open intervention of the same type. */
  async refreshEvidence(
    id: string,
    input: {
      ruleId: string;
      reason: string;
      evidence: Record<string, unknown>;
      priority: Priority;
    },
    manager?: EntityManager,
  ): Promise<void> {
    const now = this.clock.now();
    const evidence = { ...input.evidence, refreshedAt: now.toISOString(), ruleId: input.ruleId };
    // The usual case in one statement: still open, no more urgent than it is, clock running
    // (so the SLA columns stand). The UPDATE re-checks these on the row it locks.
    const inPlace = async (m: EntityManager) =>
      queryRows<{ id: string }>(
        await m.query(
          `UPDATE interventions SET evidence = $2, reason = $3, updated_at = CURRENT_TIMESTAMP
            WHERE id = $1 AND status <> ALL($4) AND priority_rank <= $5 AND NOT sla_paused
            RETURNING id`,
          [id, evidence, input.reason, FINAL_STATUSES, PRIORITY_RANK[input.priority]],
        ),
      ).length > 0;
    const locked = async (m: EntityManager) => {
      const iv = await this.lock(m, id);
      if (isFinal(iv.status)) return;
      iv.evidence = evidence;
      iv.reason = input.reason;
      // Escalate the priority if the rule now says more urgent; never lower it silently.
      const escalated = PRIORITY_RANK[input.priority] < iv.priorityRank;
      if (escalated) {
        iv.priority = input.priority;
        iv.priorityRank = PRIORITY_RANK[input.priority];
      }
      // The SLA's targets depend on the priority, and a paused clock's projection on the time.
      await this.recompute(m, iv, now);
    };
    if (manager) {
      if (!(await inPlace(manager))) await locked(manager);
    } else if (!(await inPlace(this.dataSource.manager))) await this.dataSource.transaction(locked);
  }

  async addNote(
    id: string,
    body: string,
    actor: Actor,
  ): Promise<InterventionDetail['notes'][number]> {
    return this.dataSource.transaction(async (m) => {
      const iv = await this.lock(m, id);
      this.assertCanWork(iv, actor);
      const note = await m.getRepository(InterventionNote).save({
        interventionId: id,
        authorUserId: actor.userId,
        body,
        createdAt: this.clock.now(),
      });
      const [author]: { full_name: string }[] = actor.userId
        ? await m.query('SELECT full_name FROM users WHERE id = $1', [actor.userId])
        : [];
      return {
        id: note.id,
        body: note.body,
        authorId: note.authorUserId,
        authorName: author?.full_name ?? null,
        createdAt: note.createdAt.toISOString(),
      };
    });
  }

  /**
   * Recomputes every open intervention's SLA columns (after a policy or
   * calendar change), in batches of RECOMPUTE_BATCH: per batch one locking
   * select, one read of the histories, one of the notices sent and one
   * UPDATE … FROM unnest(…), whatever the batch size. The clocks are computed
   * from the history, so paused time is kept. Exact-time checks that moved
   * earlier are picked up by the per-minute sweep (next_sla_check_at).
   */
  async recomputeOpen(): Promise<number> {
    let after = '00000000-0000-0000-0000-000000000000';
    let total = 0;
    for (;;) {
      const n = await this.dataSource.transaction(async (m) => {
        const policy = await this.config.sla(m);
        const ivs = await m
          .getRepository(Intervention)
          .createQueryBuilder('i')
          .setLock('pessimistic_write')
          .where('i.status IN (:...open) AND i.id > :after', { open: OPEN_STATUSES, after })
          .orderBy('i.id')
          .limit(RECOMPUTE_BATCH)
          .getMany();
        if (!ivs.length) return 0;
        const ids = ivs.map((iv) => iv.id);
        const [historyRows, noticeRows]: [
          (HistoryRow & { intervention_id: string })[],
          { intervention_id: string; target: string; stage: string }[],
        ] = await Promise.all([
          m.query(
            `SELECT intervention_id, from_status, to_status, at FROM intervention_transitions
              WHERE intervention_id = ANY($1) AND from_status IS DISTINCT FROM to_status`,
            [ids],
          ),
          m.query(
            'SELECT intervention_id, target, stage FROM intervention_sla_notices WHERE intervention_id = ANY($1)',
            [ids],
          ),
        ]);
        const histories = new Map<string, HistoryRow[]>();
        for (const r of historyRows)
          histories.set(r.intervention_id, [...(histories.get(r.intervention_id) ?? []), r]);
        const notices = new Map<string, Set<string>>();
        for (const r of noticeRows)
          notices.set(
            r.intervention_id,
            (notices.get(r.intervention_id) ?? new Set()).add(`${r.target}:${r.stage}`),
          );
        const now = this.clock.now();
        for (const [i, iv] of ivs.entries()) {
          // The clocks are CPU only: let requests in between, not after the whole batch.
          if (i > 0 && i % RECOMPUTE_YIELD_EVERY === 0) await new Promise(setImmediate);
          await this.applySla(
            m,
            iv,
            historyOf(histories.get(iv.id) ?? []),
            notices.get(iv.id) ?? new Set(),
            now,
            policy,
          );
        }
        await this.saveSlaColumns(m, ivs);
        after = ids[ids.length - 1];
        return ivs.length;
      });
      if (!n) return total;
      total += n;
      if (n < RECOMPUTE_BATCH) return total;
    }
  }

  /** Writes the SLA columns of many interventions in one statement. */
  private async saveSlaColumns(m: EntityManager, ivs: Intervention[]): Promise<void> {
    const col = <T>(f: (iv: Intervention) => T) => ivs.map(f);
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    await m.query(
      `UPDATE interventions i SET
         sla_policy_version = u.version, first_action_due_at = u.fa_due, first_action_at_risk_at = u.fa_risk,
         first_action_paused_ms = u.fa_paused, first_action_met_at = u.fa_met,
         resolution_due_at = u.res_due, resolution_at_risk_at = u.res_risk,
         resolution_paused_ms = u.res_paused, resolution_met_at = u.res_met, sla_paused = u.paused,
         sla_sort_at = u.sort_at, sla_at_risk_at = u.at_risk_at, next_sla_check_at = u.next_check,
         updated_at = now()
       FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::timestamptz[], $5::bigint[], $6::timestamptz[],
                   $7::timestamptz[], $8::timestamptz[], $9::bigint[], $10::timestamptz[], $11::boolean[],
                   $12::timestamptz[], $13::timestamptz[], $14::timestamptz[])
         AS u(id, version, fa_due, fa_risk, fa_paused, fa_met, res_due, res_risk, res_paused, res_met, paused,
              sort_at, at_risk_at, next_check)
       WHERE i.id = u.id`,
      [
        col((iv) => iv.id),
        col((iv) => iv.slaPolicyVersion),
        col((iv) => iso(iv.firstActionDueAt)),
        col((iv) => iso(iv.firstActionAtRiskAt)),
        col((iv) => iv.firstActionPausedMs),
        col((iv) => iso(iv.firstActionMetAt)),
        col((iv) => iso(iv.resolutionDueAt)),
        col((iv) => iso(iv.resolutionAtRiskAt)),
        col((iv) => iv.resolutionPausedMs),
        col((iv) => iso(iv.resolutionMetAt)),
        col((iv) => iv.slaPaused),
        col((iv) => iso(iv.slaSortAt)),
        col((iv) => iso(iv.slaAtRiskAt)),
        col((iv) => iso(iv.nextSlaCheckAt)),
      ],
    );
  }

  // ------------------------------------------------------------------ SLA

  /** Loads the history and the notices sent, recomputes the SLA columns and saves. */
  async recompute(m: EntityManager, iv: Intervention, now: Date): Promise<void> {
    const history = await this.history(m, iv.id);
    const sent = await this.sentNotices(m, iv.id);
    await this.applySla(m, iv, history, sent, now);
    await m.getRepository(Intervention).save(iv);
  }

  async history(m: EntityManager, id: string): Promise<StatusChange[]> {
    const rows: HistoryRow[] = await m.query(
      `SELECT from_status, to_status, at FROM intervention_transitions
          WHERE intervention_id = $1 AND from_status IS DISTINCT FROM to_status ORDER BY at`,
      [id],
    );
    return historyOf(rows);
  }

  async sentNotices(m: EntityManager, id: string): Promise<Set<string>> {
    const rows: { target: string; stage: string }[] = await m.query(
      'SELECT target, stage FROM intervention_sla_notices WHERE intervention_id = $1',
      [id],
    );
    return new Set(rows.map((r) => `${r.target}:${r.stage}`));
  }

  /** Sets the stored SLA columns from the history and the policy in force. */
  async applySla(
    m: EntityManager,
    iv: Intervention,
    history: StatusChange[],
    sent: Set<string>,
    now: Date,
    policy?: VersionedConfig<SlaPolicyDocument>,
  ): Promise<Record<SlaTarget, TargetClock>> {
    const { version, document } = policy ?? (await this.config.sla(m));
    const clocks = slaClocks(
      history,
      targetsFor(document, iv.type, iv.priority),
      document.calendar,
      now.getTime(),
    );
    const fa = clocks.first_action;
    const res = clocks.resolution;
    iv.slaPolicyVersion = version;
    iv.firstActionDueAt = new Date(fa.dueAt);
    iv.firstActionAtRiskAt = new Date(fa.atRiskAt);
    iv.firstActionPausedMs = fa.pausedMs;
    iv.firstActionMetAt = fa.metAt === null ? null : new Date(fa.metAt);
    iv.resolutionDueAt = new Date(res.dueAt);
    iv.resolutionAtRiskAt = new Date(res.atRiskAt);
    iv.resolutionPausedMs = res.pausedMs;
    iv.resolutionMetAt = res.metAt === null ? null : new Date(res.metAt);
    iv.slaPaused = res.paused;
    const unmet = [fa, res].filter((c) => c.metAt === null);
    if (isFinal(iv.status) || !unmet.length) {
      iv.slaSortAt = RESOLVED_SORT_AT;
      iv.slaAtRiskAt = null;
      iv.nextSlaCheckAt = null;
      return clocks;
    }
    const next = unmet.reduce((a, b) => (b.dueAt < a.dueAt ? b : a));
    iv.slaSortAt = new Date(next.dueAt);
    iv.slaAtRiskAt = new Date(next.atRiskAt);
    let nextCheck: number | null = null;
    if (!res.paused) {
      for (const clock of unmet) {
        const times = noticeTimes(clock, document.calendar);
        for (const stage of NOTICE_STAGES) {
          if (sent.has(`${clock.target}:${stage}`)) continue;
          if (nextCheck === null || times[stage] < nextCheck) nextCheck = times[stage];
        }
      }
    }
    iv.nextSlaCheckAt = nextCheck === null ? null : new Date(nextCheck);
    return clocks;
  }

  // --------------------------------------------------------------- queries

  async eligibleStaff(m: EntityManager, id?: string): Promise<StaffMember[]> {
    const rows: { id: string; full_name: string; email: string; roles: string[] }[] = await m.query(
      `SELECT id, full_name, email, roles FROM users
        WHERE is_active AND roles && $1::varchar[] ${id ? 'AND id = $2' : ''}
        ORDER BY full_name, id`,
      id ? [ASSIGNABLE_ROLES, id] : [ASSIGNABLE_ROLES],
    );
    return rows.map((r) => ({ id: r.id, fullName: r.full_name, email: r.email, roles: r.roles }));
  }

  staff(): Promise<StaffMember[]> {
    return this.eligibleStaff(this.dataSource.manager);
  }

  async get(id: string, actor: Actor): Promise<InterventionDetail> {
    const [row]: (SummaryRow & {
      evidence: Record<string, unknown>;
      created_by_user_id: string | null;
      created_by_name: string | null;
      cancel_reason: string | null;
      delivery_error: string | null;
      sla_policy_version: number;
    })[] = await this.dataSource.query(
      `SELECT ${SUMMARY_COLUMNS}, i.evidence, i.created_by_user_id, c.full_name AS created_by_name,
              i.cancel_reason, i.delivery_error, i.sla_policy_version
         FROM interventions i JOIN tutors t ON t.id = i.tutor_id
         LEFT JOIN users u ON u.id = i.assignee_user_id
         LEFT JOIN users c ON c.id = i.created_by_user_id
        WHERE i.id = $1`,
      [id],
    );
    if (!row) throw new DetailedHttpError(404, `no intervention with id ${id}`);
    this.assertCanSee(row.assignee_user_id, actor);
    const now = this.clock.now();
    const [history, notes, { document }]: [
      {
        from_status: InterventionStatus | null;
        to_status: InterventionStatus;
        at: Date;
        actor_user_id: string | null;
        actor_name: string | null;
        note: string | null;
      }[],
      {
        id: string;
        body: string;
        author_user_id: string | null;
        author_name: string | null;
        created_at: Date;
      }[],
      Awaited<ReturnType<InterventionConfigService['sla']>>,
    ] = await Promise.all([
      this.dataSource.query(
        `SELECT h.from_status, h.to_status, h.at, h.actor_user_id, u.full_name AS actor_name, h.note
           FROM intervention_transitions h LEFT JOIN users u ON u.id = h.actor_user_id
          WHERE h.intervention_id = $1 ORDER BY h.at, h.id`,
        [id],
      ),
      this.dataSource.query(
        `SELECT n.id, n.body, n.author_user_id, u.full_name AS author_name, n.created_at
           FROM intervention_notes n LEFT JOIN users u ON u.id = n.author_user_id
          WHERE n.intervention_id = $1 ORDER BY n.created_at, n.id`,
        [id],
      ),
      this.config.sla(),
    ]);
    // The clocks' status changes, from the history just read (historyOf filters and orders).
    const changes = historyOf(history);
    const clocks = slaClocks(
      changes,
      targetsFor(document, row.type, row.priority),
      document.calendar,
      now.getTime(),
    );
    return {
      ...this.summary(row, now),
      evidence: row.evidence,
      createdById: row.created_by_user_id,
      createdByName: row.created_by_name,
      cancelReason: row.cancel_reason,
      deliveryError: row.delivery_error,
      slaPolicyVersion: row.sla_policy_version,
      sla: SLA_TARGETS.map((t) => targetView(clocks[t])),
      history: history.map((h) => ({
        from: h.from_status,
        to: h.to_status,
        at: h.at.toISOString(),
        actorId: h.actor_user_id,
        actorName: h.actor_name,
        note: h.note,
      })),
      notes: notes.map((n) => ({
        id: n.id,
        body: n.body,
        authorId: n.author_user_id,
        authorName: n.author_name,
        createdAt: n.created_at.toISOString(),
      })),
    };
  }

  async list(filters: ListFilters, actor: Actor): Promise<Page<InterventionSummary>> {
    const now = this.clock.now();
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (!actor.canAssign)
      where.push(`(i.assignee_user_id = ${p(actor.userId)} OR i.assignee_user_id IS NULL)`);
    if (filters.status?.length) where.push(`i.status = ANY(${p(filters.status)})`);
    if (filters.type?.length) where.push(`i.type = ANY(${p(filters.type)})`);
    if (filters.priority?.length) where.push(`i.priority = ANY(${p(filters.priority)})`);
    if (filters.tutorId) where.push(`i.tutor_id = ${p(filters.tutorId)}`);
    if (filters.assignee === 'unassigned') where.push('i.assignee_user_id IS NULL');
    else if (filters.assignee === 'me') where.push(`i.assignee_user_id = ${p(actor.userId)}`);
    else if (filters.assignee) where.push(`i.assignee_user_id = ${p(filters.assignee)}`);
    if (filters.dueBefore) where.push(`i.sla_sort_at < ${p(filters.dueBefore)}`);
    if (filters.slaState) where.push(slaStateCondition(filters.slaState, p(now)));
    const sort = filters.sort ?? 'due';
    const cursor = decodeCursor(filters.cursor);
    if (cursor) {
      if (sort === 'due')
        where.push(
          `(i.sla_sort_at, i.id) > (${p(cursor.value)}::timestamptz, ${p(cursor.id)}::uuid)`,
        );
      else if (sort === 'created')
        where.push(
          `(i.created_at, i.id) < (${p(cursor.value)}::timestamptz, ${p(cursor.id)}::uuid)`,
        );
      else {
        const [rank, at] = cursor.value.split('|');
        if (!/^\d$/.test(rank ?? '') || !at)
          throw new DetailedHttpError(
            400,
            'cursor is not valid; pass the nextCursor of a previous page',
          );
        where.push(
          `(i.priority_rank, i.sla_sort_at, i.id) > (${p(Number(rank))}, ${p(at)}::timestamptz, ${p(cursor.id)}::uuid)`,
        );
      }
    }
    const order =
      sort === 'due'
        ? 'i.sla_sort_at, i.id'
        : sort === 'created'
          ? 'i.created_at DESC, i.id DESC'
          : 'i.priority_rank, i.sla_sort_at, i.id';
    let rows: SummaryRow[];
    try {
      rows = await this.dataSource.query(
        `SELECT ${SUMMARY_COLUMNS}
           FROM interventions i JOIN tutors t ON t.id = i.tutor_id
           LEFT JOIN users u ON u.id = i.assignee_user_id
          ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY ${order} LIMIT ${p(filters.limit + 1)}`,
        params,
      );
    } catch (error) {
      if (
        error instanceof QueryFailedError &&
        /invalid input syntax|out of range/.test(error.message)
      )
        throw new DetailedHttpError(
          400,
          'cursor is not valid; pass the nextCursor of a previous page',
        );
      throw error;
    }
    const more = rows.length > filters.limit;
    const items = more ? rows.slice(0, filters.limit) : rows;
    const last = items[items.length - 1];
    const nextCursor =
      more && last
        ? encodeCursor({
            value:
              sort === 'due'
                ? last.sort_text
                : sort === 'created'
                  ? last.created_text
                  : `${last.priority_rank}|${last.sort_text}`,
            id: last.id,
          })
        : null;
    return { items: items.map((r) => this.summary(r, now)), nextCursor };
  }

  async counters(actor: Actor, calendarDayEnd: Date, weekStart: Date) {
    const now = this.clock.now();
    const scope = actor.canAssign
      ? ''
      : 'AND (i.assignee_user_id = $4 OR i.assignee_user_id IS NULL)';
    // Open ones from the partial index idx_interventions_open_counters (index-only), the
    // week's completions from idx_interventions_resolved: two small reads, not a scan.
    const open = `i.status IN (${OPEN_STATUSES.map((s) => `'${s}'`).join(', ')})`;
    const [row]: Record<string, number>[] = await this.dataSource.query(
      `SELECT
         count(*)::int AS open,
         count(*) FILTER (WHERE NOT i.sla_paused AND i.sla_at_risk_at <= $1 AND i.sla_sort_at > $1)::int AS at_risk,
         count(*) FILTER (WHERE NOT i.sla_paused AND i.sla_sort_at <= $1)::int AS breached,
         count(*) FILTER (WHERE i.sla_sort_at < $2)::int AS due_today,
         count(*) FILTER (WHERE i.sla_sort_at < $1::timestamptz + interval '7 days')::int AS due_this_week,
         count(*) FILTER (WHERE i.assignee_user_id IS NULL)::int AS unassigned,
         (SELECT count(*) FROM interventions i
           WHERE i.resolved_at >= $3 AND i.status = 'completed' ${scope})::int AS completed_this_week
       FROM interventions i WHERE ${open} ${scope}`,
      actor.canAssign
        ? [now, calendarDayEnd, weekStart]
        : [now, calendarDayEnd, weekStart, actor.userId],
    );
    return {
      open: row.open,
      atRisk: row.at_risk,
      breached: row.breached,
      dueToday: row.due_today,
      dueThisWeek: row.due_this_week,
      completedThisWeek: row.completed_this_week,
      unassigned: row.unassigned,
    };
  }

  // ------------------------------------------------------------------ helpers

  summary(r: SummaryRow, now: Date): InterventionSummary {
    const resolved = r.resolved_at !== null;
    let slaState: InterventionSummary['slaState'];
    if (resolved)
      slaState =
        r.resolution_met_at && r.resolution_met_at <= r.resolution_due_at ? 'met' : 'missed';
    else if (r.sla_paused) slaState = 'paused';
    else if (r.sla_sort_at <= now) slaState = 'breached';
    else if (r.sla_at_risk_at && r.sla_at_risk_at <= now) slaState = 'at_risk';
    else slaState = 'on_track';
    return {
      id: r.id,
      tutorId: r.tutor_id,
      tutorName: r.tutor_name,
      type: r.type,
      kind: r.kind,
      priority: r.priority,
      status: r.status,
      ruleId: r.rule_id,
      reason: r.reason,
      assigneeId: r.assignee_user_id,
      assigneeName: r.assignee_name,
      createdAt: r.created_at.toISOString(),
      resolvedAt: r.resolved_at?.toISOString() ?? null,
      slaDueAt: resolved ? null : r.sla_sort_at.toISOString(),
      slaState,
      outcome: r.outcome,
      deliveryStatus: r.delivery_status,
    };
  }

  async lock(m: EntityManager, id: string): Promise<Intervention> {
    const iv = await m
      .getRepository(Intervention)
      .createQueryBuilder('i')
      .setLock('pessimistic_write')
      .where('i.id = :id', { id })
      .getOne();
    if (!iv) throw new DetailedHttpError(404, `no intervention with id ${id}`);
    return iv;
  }

  private assertCanSee(assigneeId: string | null, actor: Actor): void {
    if (actor.canAssign || assigneeId === null || assigneeId === actor.userId) return;
    throw new DetailedHttpError(
      403,
      'you may see only interventions assigned to you or unassigned',
    );
  }

  private assertCanWork(iv: Intervention, actor: Actor): void {
    if (actor.canAssign || (actor.userId && iv.assigneeUserId === actor.userId)) return;
    throw new DetailedHttpError(
      403,
      iv.assigneeUserId
        ? 'this intervention is assigned to someone else'
        : 'this intervention is not assigned to you; an operations manager assigns it',
    );
  }

  private async recordTransition(
    m: EntityManager,
    interventionId: string,
    from: InterventionStatus | null,
    to: InterventionStatus,
    actorUserId: string | null,
    note: string | null,
    at: Date,
  ): Promise<void> {
    await m.getRepository(InterventionTransition).insert({
      interventionId,
      fromStatus: from,
      toStatus: to,
      actorUserId,
      note,
      at,
    });
  }
}

interface HistoryRow {
  to_status: InterventionStatus;
  from_status: InterventionStatus | null;
  at: Date;
}

/** The status changes that drive the SLA clocks, in order (creation first among equal times). */
export function historyOf(rows: readonly HistoryRow[]): StatusChange[] {
  return rows
    .filter((r) => r.from_status !== r.to_status)
    .map((r) => ({
      at: r.at.getTime(),
      to: r.to_status,
      rank: STATUS_ORDER[r.to_status],
      created: r.from_status === null,
    }))
    .sort((a, b) => a.at - b.at || Number(b.created) - Number(a.created) || a.rank - b.rank)
    .map(({ at, to }) => ({ at, to }));
}

export function slaStateCondition(state: string, now: string): string {
  const open = `i.status IN ('open', 'assigned', 'in_progress', 'waiting')`;
  switch (state) {
    case 'on_track':
      return `(${open} AND NOT i.sla_paused AND i.sla_at_risk_at > ${now})`;
    case 'at_risk':
      return `(${open} AND NOT i.sla_paused AND i.sla_at_risk_at <= ${now} AND i.sla_sort_at > ${now})`;
    case 'breached':
      return `(${open} AND NOT i.sla_paused AND i.sla_sort_at <= ${now})`;
    case 'paused':
      return `(${open} AND i.sla_paused)`;
    case 'met':
      return `(i.resolved_at IS NOT NULL AND i.resolution_met_at <= i.resolution_due_at)`;
    case 'missed':
      return `(i.resolved_at IS NOT NULL AND i.resolution_met_at > i.resolution_due_at)`;
    default:
      throw new DetailedHttpError(
        400,
        `slaState must be one of on_track, at_risk, breached, paused, met, missed`,
      );
  }
}

export function targetView(c: TargetClock): TargetView {
  const minutes = (ms: number) => Math.round(ms / 60_000);
  return {
    target: c.target,
    state: c.paused && c.state !== 'breached' ? 'paused' : c.state,
    dueAt: new Date(c.dueAt).toISOString(),
    atRiskAt: new Date(c.atRiskAt).toISOString(),
    metAt: c.metAt === null ? null : new Date(c.metAt).toISOString(),
    elapsedMinutes: minutes(c.elapsedMs),
    pausedMinutes: minutes(c.pausedMs),
    leftMinutes: c.metAt !== null ? 0 : minutes(Math.max(0, c.targetMs - c.elapsedMs)),
    targetMinutes: minutes(c.targetMs),
    percent: Math.min(100, Math.round((c.elapsedMs / c.targetMs) * 100)),
    paused: c.paused,
  };
}

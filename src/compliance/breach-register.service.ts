import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { AuditActor } from '../audit/audit-request';
import { Clock } from '../common/clock';
import { DetailedHttpError, FieldError } from '../common/error-body';
import { decodeCursor, Page, PageQuery, toPage } from '../common/pagination';
import { BreachInput, CreateBreachBody } from './breach-register.dto';
import {
  BreachDataCategory,
  BreachIncident,
  BreachSeverity,
} from './entities/breach-incident.entity';

const HOUR = 3_600_000;
/** GDPR Art. 33(1): the supervisory authority is told within 72 hours of discovery. */
export const NOTIFICATION_DEADLINE_HOURS = 72;
/** The badge turns "at risk" once this share of the 72 hours has gone (as for interventions). */
export const BREACH_AT_RISK_SHARE = 0.75;
/** Tolerated clock difference for "not in the future". */
const CLOCK_SKEW_MS = 5 * 60_000;
/** Art. 34: the people affected must be told when the breach touches these (high or critical). */
const SENSITIVE: readonly BreachDataCategory[] = ['credentials', 'payment', 'health'];

export type BreachSlaState = 'on_track' | 'at_risk' | 'breached' | 'met' | 'not_required';

/**
 * Whether the supervisory authority must be told (DOMAIN.md §8.3): high or
 * critical, or medium with more than 100 records affected.
 */
export function authorityNotificationRequired(
  b: Pick<BreachIncident, 'severity' | 'affectedRecordCount'>,
): boolean {
  return (
    b.severity === 'high' ||
    b.severity === 'critical' ||
    (b.severity === 'medium' && b.affectedRecordCount > 100)
  );
}

/** Whether the people affected must be told: critical, or high with sensitive data. */
export function subjectNotificationRequired(
  b: Pick<BreachIncident, 'severity' | 'affectedCategories'>,
): boolean {
  return (
    b.severity === 'critical' ||
    (b.severity === 'high' && b.affectedCategories.some((c) => SENSITIVE.includes(c)))
  );
}

export const notificationDeadline = (b: Pick<BreachIncident, 'discoveredAt'>): Date =>
  new Date(b.discoveredAt.getTime() + NOTIFICATION_DEADLINE_HOURS * HOUR);

/**
 * The 72-hour badge: met when the authority was told in time, breached when
 * the deadline passed without it (or it was told late), at risk after 75% of
 * the time, otherwise on track; not_required for an incident closed without
 * notification that the rule does not require it for.
 */
export function breachSla(
  b: Pick<
    BreachIncident,
    'discoveredAt' | 'authorityNotifiedAt' | 'status' | 'severity' | 'affectedRecordCount'
  >,
  now: Date,
): BreachSlaState {
  const deadline = notificationDeadline(b).getTime();
  if (b.authorityNotifiedAt)
    return b.authorityNotifiedAt.getTime() <= deadline ? 'met' : 'breached';
  if (b.status === 'closed' && !authorityNotificationRequired(b)) return 'not_required';
  if (now.getTime() > deadline) return 'breached';
  const elapsed = now.getTime() - b.discoveredAt.getTime();
  return elapsed >= BREACH_AT_RISK_SHARE * NOTIFICATION_DEADLINE_HOURS * HOUR
    ? 'at_risk'
    : 'on_track';
}

export const BREACH_SLA_LABELS: Record<BreachSlaState, string> = {
  on_track: 'On track',
  at_risk: 'Deadline near',
  breached: 'Deadline missed',
  met: 'Notified in time',
  not_required: 'No notification required',
};

export const SEVERITY_ORDER: Record<BreachSeverity, number> = {
  low: 0,
  medium: 1,
  high: 2,
  critical: 3,
};

/** An incident as the API answers it: the record plus its deadline, badge and duties. */
export interface BreachView extends BreachIncident {
  notificationDeadline: string;
  sla: BreachSlaState;
  slaLabel: string;
  hoursLeft: number | null;
  authorityNotificationRequired: boolean;
  subjectNotificationRequired: boolean;
}

export function breachView(b: BreachIncident, now: Date): BreachView {
  const sla = breachSla(b, now);
  const deadline = notificationDeadline(b);
  return {
    ...b,
    notificationDeadline: deadline.toISOString(),
    sla,
    slaLabel:
      sla === 'breached' && b.authorityNotifiedAt ? 'Notified late' : BREACH_SLA_LABELS[sla],
    hoursLeft:
      b.authorityNotifiedAt || sla === 'not_required'
        ? null
        : Math.floor((deadline.getTime() - now.getTime()) / HOUR),
    authorityNotificationRequired: authorityNotificationRequired(b),
    subjectNotificationRequired: subjectNotificationRequired(b),
  };
}

/** The ones a form may leave empty or an update may set to null. */
const CLEARABLE = new Set([
  'affectedSubjectCount',
  'authorityNotifiedAt',
  'subjectsNotifiedAt',
  'actionsTaken',
]);

/**
 * The breach register (GDPR Art. 33(5)): admins record incidents and their
 * handling; each create and update is audited (field names, never values).
 */
@Injectable()
export class BreachRegisterService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** Newest discovery first. */
  async list(query: PageQuery): Promise<Page<BreachIncident>> {
    const qb = this.dataSource.getRepository(BreachIncident).createQueryBuilder('b');
    const cursor = decodeCursor(query.cursor);
    if (cursor)
      qb.andWhere('(b.discovered_at, b.id) < (:t::timestamptz, :i::uuid)', {
        t: cursor.value,
        i: cursor.id,
      });
    const rows = await qb
      .orderBy('b.discovered_at', 'DESC')
      .addOrderBy('b.id', 'DESC')
      .take(query.limit + 1)
      .getMany();
    return toPage(rows, query.limit, (b) => ({ value: b.discoveredAt.toISOString(), id: b.id }));
  }

  /** Incidents not closed yet (the page's counters). */
  async unclosed(): Promise<BreachIncident[]> {
    return this.dataSource
      .getRepository(BreachIncident)
      .createQueryBuilder('b')
      .where(`b.status <> 'closed'`)
      .orderBy('b.discovered_at', 'ASC')
      .take(1000)
      .getMany();
  }

  async get(id: string): Promise<BreachIncident> {
    const b = await this.dataSource.getRepository(BreachIncident).findOneBy({ id });
    if (!b) throw new DetailedHttpError(404, `No breach incident with id ${id}`);
    return b;
  }

  async create(input: CreateBreachBody, actor: AuditActor): Promise<BreachIncident> {
    const repo = this.dataSource.getRepository(BreachIncident);
    const b = repo.create({
      status: 'open',
      affectedSubjectKinds: [],
      affectedSubjectCount: null,
      authorityNotifiedAt: null,
      subjectsNotifiedAt: null,
      actionsTaken: null,
      recordedByUserId: actor.type === 'user' ? actor.id : null,
    });
    this.apply(b, input, true);
    return this.dataSource.transaction(async (m) => {
      const saved = await m.getRepository(BreachIncident).save(b);
      await this.audit.record(
        {
          action: 'compliance.breach_recorded',
          outcome: 'success',
          actor,
          resourceType: 'breach_incident',
          resourceId: saved.id,
          details: {
            severity: saved.severity,
            status: saved.status,
            affectedRecordCount: saved.affectedRecordCount,
          },
        },
        m,
      );
      return saved;
    });
  }

  async update(id: string, input: BreachInput, actor: AuditActor): Promise<BreachIncident> {
    return this.dataSource.transaction(async (m) => {
      const repo = m.getRepository(BreachIncident);
      const b = await repo.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!b) throw new DetailedHttpError(404, `No breach incident with id ${id}`);
      const changed = this.apply(b, input, false);
      if (!changed.length) return b;
      const saved = await repo.save(b);
      await this.audit.record(
        {
          action: 'compliance.breach_updated',
          outcome: 'success',
          actor,
          resourceType: 'breach_incident',
          resourceId: id,
          changedFields: changed,
          details: { severity: saved.severity, status: saved.status },
        },
        m,
      );
      return saved;
    });
  }

  /**
   * Copies the input onto the incident after the rules across fields
   * (class-validator checked each field's shape): times not in the future,
   * notifications not before discovery, "notified" only with the authority's
   * notification time. Returns the names of the fields that changed.
   */
  private apply(b: BreachIncident, input: BreachInput, creating: boolean): string[] {
    const problems: FieldError[] = [];
    const now = this.clock.now().getTime();
    const changed: string[] = [];
    const entries = Object.entries(input).filter(([, v]) => v !== undefined);
    for (const [field, value] of entries) {
      if (value === null && !CLEARABLE.has(field))
        problems.push({ field, message: `${field} cannot be empty` });
    }
    const time = (field: string, v: string | null | undefined): Date | null | undefined => {
      if (v === undefined || v === null) return v;
      if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(v))
        problems.push({ field, message: `${field} must include a time zone (e.g. Z)` });
      const d = new Date(v);
      if (d.getTime() > now + CLOCK_SKEW_MS)
        problems.push({ field, message: `${field} must not be in the future` });
      return d;
    };
    const discoveredAt = time('discoveredAt', input.discoveredAt) ?? b.discoveredAt;
    const authorityNotifiedAt = time('authorityNotifiedAt', input.authorityNotifiedAt);
    const subjectsNotifiedAt = time('subjectsNotifiedAt', input.subjectsNotifiedAt);
    const authority =
      authorityNotifiedAt === undefined ? b.authorityNotifiedAt : authorityNotifiedAt;
    const subjects = subjectsNotifiedAt === undefined ? b.subjectsNotifiedAt : subjectsNotifiedAt;
    if (discoveredAt && authority && authority.getTime() < discoveredAt.getTime())
      problems.push({
        field: 'authorityNotifiedAt',
        message: 'authorityNotifiedAt must not be before discoveredAt',
      });
    if (discoveredAt && subjects && subjects.getTime() < discoveredAt.getTime())
      problems.push({
        field: 'subjectsNotifiedAt',
        message: 'subjectsNotifiedAt must not be before discoveredAt',
      });
    // Telling the authority moves an open incident to notified, unless a status was given.
    let status = input.status ?? (creating ? undefined : b.status) ?? 'open';
    if (!input.status && authority && status === 'open') status = 'notified';
    if (status === 'notified' && !authority)
      problems.push({
        field: 'status',
        message: 'status notified needs authorityNotifiedAt (when the authority was told)',
      });
    if (problems.length)
      throw new DetailedHttpError(400, problems.map((p) => p.message).join('; '), problems);

    const set = <K extends keyof BreachIncident>(key: K, value: BreachIncident[K]) => {
      const before = b[key];
      const same =
        before instanceof Date && value instanceof Date
          ? before.getTime() === value.getTime()
          : JSON.stringify(before) === JSON.stringify(value);
      if (!same) {
        b[key] = value;
        changed.push(key);
      }
    };
    if (input.title !== undefined) set('title', input.title.trim());
    if (input.description !== undefined) set('description', input.description.trim());
    if (input.discoveredAt !== undefined) set('discoveredAt', discoveredAt!);
    if (input.affectedRecordCount !== undefined)
      set('affectedRecordCount', input.affectedRecordCount);
    if (input.affectedCategories !== undefined)
      set('affectedCategories', [...input.affectedCategories]);
    if (input.affectedSubjectCount !== undefined)
      set('affectedSubjectCount', input.affectedSubjectCount);
    if (input.affectedSubjectKinds !== undefined)
      set('affectedSubjectKinds', [...input.affectedSubjectKinds]);
    if (input.severity !== undefined) set('severity', input.severity);
    if (authorityNotifiedAt !== undefined) set('authorityNotifiedAt', authorityNotifiedAt);
    if (subjectsNotifiedAt !== undefined) set('subjectsNotifiedAt', subjectsNotifiedAt);
    if (input.actionsTaken !== undefined) {
      const actions = input.actionsTaken?.trim();
      set('actionsTaken', actions ? actions : null);
    }
    set('status', status);
    return changed;
  }
}

import { Injectable, Logger, NotFoundException, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { AuditActor } from '../audit/audit-request';
import { Clock } from '../common/clock';
import { DetailedHttpError } from '../common/error-body';
import { decodeCursor, Page, PageQuery, toPage } from '../common/pagination';
import { AppConfig } from '../config/app-config';
import { FieldCipher } from '../security/field-cipher';
import { Student } from '../tutoring/entities/student.entity';
import { ageOn } from '../tutoring/student-age';
import { COPPA_AGE } from '../tutoring/tutoring.constants';
import { QueueRegistry } from '../workers/queue-registry';
import { CHURN_MODEL_EXPLANATION } from './churn-explanation';
import { CONSENT_PURPOSES, ConsentPurpose } from './entities/privacy-consent.entity';
import { GDPR_REQUEST_KINDS, GdprRequest, GdprRequestKind } from './entities/gdpr-request.entity';
import { ErasureLedger } from './erasure-ledger.service';
import { eraseSubject, identifiersOf } from './erasure';
import { DataSubject, ExportedTable, PersonalDataRegistry } from './personal-data-registry';
import { platformPersonalData } from './platform-personal-data';

const DAY = 86_400_000;
/** GDPR Art. 12(3): one month, counted here as 30 calendar days; extendable once by two months. */
export const RESPONSE_DAYS = 30;
export const EXTENSION_DAYS = 60;
/** The queue page's "at risk" threshold. */
export const AT_RISK_DAYS = 7;

/** Fields a rectification request may change, per record; nothing else (no roles, no flags). */
export const RECTIFIABLE_FIELDS: Record<
  string,
  { table: 'users' | 'tutors' | 'students'; column: string; max: number }
> = {
  fullName: { table: 'users', column: 'full_name', max: 200 },
  tutorName: { table: 'tutors', column: 'name', max: 200 },
  tutorLocation: { table: 'tutors', column: 'location', max: 200 },
  tutorEducationLevel: { table: 'tutors', column: 'education_level', max: 100 },
  studentName: { table: 'students', column: 'name', max: 200 },
  studentGradeLevel: { table: 'students', column: 'grade_level', max: 50 },
};

export type SlaState = 'on_track' | 'at_risk' | 'breached' | 'met' | 'missed';

export function slaOf(
  r: Pick<GdprRequest, 'status' | 'dueAt' | 'completedAt'>,
  now: Date,
): SlaState {
  if (r.status !== 'received') {
    return r.completedAt && r.completedAt.getTime() > r.dueAt.getTime() ? 'missed' : 'met';
  }
  const left = r.dueAt.getTime() - now.getTime();
  if (left < 0) return 'breached';
  return left <= AT_RISK_DAYS * DAY ? 'at_risk' : 'on_track';
}

export interface NewRequest {
  kind: GdprRequestKind;
  /** objection: 'profiling' (default) or 'processing'; rectification: { field: value }. */
  scope?: string;
  changes?: Record<string, string>;
  note?: string;
}

/** One value as a CSV cell (RFC 4180). */
const cell = (v: unknown): string => {
  const s =
    v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
export function toCsv(rows: ExportedTable): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join(
    '\r\n',
  );
}

/**
 * GDPR requests as tracked records (received, due in 30 calendar days,
 * extendable once), and what completing each kind does: access and
 * portability build the archive; erasure anonymises through every registered
 * handler, scrubs free text and queued jobs, writes the ledger and a
 * tombstone audit row (refused under legal hold); rectification changes only
 * whitelisted fields; restriction and objection stop profiling and delete its
 * results.
 */
@Injectable()
export class GdprService implements OnModuleInit {
  private readonly logger = new Logger('GdprService');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: PersonalDataRegistry,
    private readonly cipher: FieldCipher,
    private readonly config: AppConfig,
    private readonly ledger: ErasureLedger,
    private readonly audit: AuditService,
    private readonly queues: QueueRegistry,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    for (const handler of platformPersonalData(this.cipher, this.config.mailDropDir))
      this.registry.register(handler);
  }

  async subjectOf(
    userId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<DataSubject> {
    const [u]: { tutor_id: string | null; student_id: string | null }[] = await manager.query(
      'SELECT tutor_id, student_id FROM users WHERE id = $1',
      [userId],
    );
    if (!u) throw new NotFoundException(`No user with id ${userId}`);
    return { userId, tutorId: u.tutor_id, studentId: u.student_id };
  }

  async create(subjectUserId: string, input: NewRequest, actor: AuditActor): Promise<GdprRequest> {
    if (!(GDPR_REQUEST_KINDS as readonly string[]).includes(input.kind))
      throw new DetailedHttpError(400, `kind must be one of ${GDPR_REQUEST_KINDS.join(', ')}`);
    await this.subjectOf(subjectUserId);
    const details: Record<string, unknown> = {};
    if (input.kind === 'objection') {
      const scope = input.scope ?? 'profiling';
      if (scope !== 'profiling' && scope !== 'processing')
        throw new DetailedHttpError(400, 'scope of an objection must be profiling or processing');
      details.scope = scope;
    }
    if (input.kind === 'rectification') {
      const changes = input.changes ?? {};
      const fields = Object.keys(changes);
      if (!fields.length)
        throw new DetailedHttpError(400, 'a rectification names at least one field in changes');
      const bad = fields.filter((f) => !(f in RECTIFIABLE_FIELDS));
      if (bad.length)
        throw new DetailedHttpError(
          400,
          `these fields cannot be rectified: ${bad.join(', ')}; allowed: ${Object.keys(RECTIFIABLE_FIELDS).join(', ')}`,
        );
      for (const f of fields) {
        const v = changes[f];
        if (typeof v !== 'string' || !v.trim() || v.length > RECTIFIABLE_FIELDS[f].max)
          throw new DetailedHttpError(
            400,
            `${f} must be text of 1-${RECTIFIABLE_FIELDS[f].max} characters`,
          );
      }
      details.changes = changes;
    }
    if (input.note) details.note = input.note.slice(0, 1000);
    const now = this.clock.now();
    const repo = this.dataSource.getRepository(GdprRequest);
    const saved = await repo.save(
      repo.create({
        subjectUserId,
        kind: input.kind,
        status: 'received',
        details,
        receivedAt: now,
        dueAt: new Date(now.getTime() + RESPONSE_DAYS * DAY),
      }),
    );
    await this.audit.record({
      action: 'gdpr.request_received',
      outcome: 'success',
      actor,
      resourceType: 'gdpr_request',
      resourceId: saved.id,
      details: { kind: saved.kind, subjectUserId },
    });
    return saved;
  }

  async get(id: string): Promise<GdprRequest> {
    const r = await this.dataSource.getRepository(GdprRequest).findOneBy({ id });
    if (!r) throw new NotFoundException(`No GDPR request with id ${id}`);
    return r;
  }

  async list(
    filter: { subjectUserId?: string; status?: string },
    query: PageQuery,
  ): Promise<Page<GdprRequest>> {
    const qb = this.dataSource.getRepository(GdprRequest).createQueryBuilder('r');
    if (filter.subjectUserId) qb.andWhere('r.subject_user_id = :u', { u: filter.subjectUserId });
    if (filter.status) qb.andWhere('r.status = :s', { s: filter.status });
    const cursor = decodeCursor(query.cursor);
    if (cursor)
      qb.andWhere('(r.due_at, r.id) > (:t::timestamptz, :i::uuid)', {
        t: cursor.value,
        i: cursor.id,
      });
    const rows = await qb
      .orderBy('r.due_at', 'ASC')
      .addOrderBy('r.id', 'ASC')
      .take(query.limit + 1)
      .getMany();
    return toPage(rows, query.limit, (r) => ({ value: r.dueAt.toISOString(), id: r.id }));
  }

  async extend(id: string, reason: string, actor: AuditActor): Promise<GdprRequest> {
    const r = await this.get(id);
    if (r.status !== 'received')
      throw new DetailedHttpError(409, `the request is already ${r.status}`);
    if (r.extendedAt) throw new DetailedHttpError(409, 'the request was already extended once');
    if (!reason?.trim()) throw new DetailedHttpError(400, 'an extension needs a reason');
    r.extendedAt = this.clock.now();
    r.extensionReason = reason.trim().slice(0, 500);
    r.dueAt = new Date(r.dueAt.getTime() + EXTENSION_DAYS * DAY);
    await this.dataSource.getRepository(GdprRequest).save(r);
    await this.audit.record({
      action: 'gdpr.request_extended',
      outcome: 'success',
      actor,
      resourceType: 'gdpr_request',
      resourceId: id,
      details: { dueAt: r.dueAt.toISOString() },
    });
    return r;
  }

  async refuse(id: string, reason: string, actor: AuditActor): Promise<GdprRequest> {
    const r = await this.get(id);
    if (r.status !== 'received')
      throw new DetailedHttpError(409, `the request is already ${r.status}`);
    if (!reason?.trim()) throw new DetailedHttpError(400, 'a refusal needs a reason');
    return this.close(r, 'refused', reason.trim(), actor);
  }

  private async close(
    r: GdprRequest,
    status: 'completed' | 'refused',
    resolution: string,
    actor: AuditActor,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<GdprRequest> {
    r.status = status;
    r.resolution = resolution.slice(0, 1000);
    r.completedAt = this.clock.now();
    r.handledByUserId = actor.type === 'user' ? actor.id : null;
    await manager.getRepository(GdprRequest).save(r);
    await this.audit.record(
      {
        action: status === 'completed' ? 'gdpr.request_completed' : 'gdpr.request_refused',
        outcome: 'success',
        actor,
        resourceType: 'gdpr_request',
        resourceId: r.id,
        details: { kind: r.kind },
      },
      manager,
    );
    return r;
  }

  /** An active legal hold on the subject, if any (its reason). */
  async legalHold(subject: DataSubject): Promise<string | null> {
    const [hold]: { reason: string }[] = await this.dataSource.query(
      `SELECT reason FROM legal_holds WHERE released_at IS NULL
          AND (subject_user_id = $1 OR tutor_id = $2 OR student_id = $3) LIMIT 1`,
      [subject.userId, subject.tutorId, subject.studentId],
    );
    return hold?.reason ?? null;
  }

  /** Carries out a received request. */
  async complete(id: string, actor: AuditActor): Promise<GdprRequest> {
    const r = await this.get(id);
    if (r.status !== 'received')
      throw new DetailedHttpError(409, `the request is already ${r.status}`);
    const subject = await this.subjectOf(r.subjectUserId);
    switch (r.kind) {
      case 'access':
      case 'portability':
        return this.close(r, 'completed', 'Archive ready to download', actor);
      case 'erasure':
        return this.erase(r, subject, actor);
      case 'rectification':
        return this.rectify(r, subject, actor);
      case 'restriction':
      case 'objection':
        return this.stopProfiling(r, subject, actor);
    }
  }

  private async erase(
    r: GdprRequest,
    subject: DataSubject,
    actor: AuditActor,
  ): Promise<GdprRequest> {
    const hold = await this.legalHold(subject);
    if (hold) {
      throw new DetailedHttpError(
        409,
        `Erasure refused while a legal hold applies: ${hold}. Release the hold or refuse the request with this reason.`,
      );
    }
    const queuedJobs = await this.scrubQueuedJobs(subject);
    let line: Awaited<ReturnType<ErasureLedger['insert']>> | undefined;
    const done = await this.dataSource.transaction(async (m) => {
      const counts = await eraseSubject(m, this.cipher, this.registry.all(), subject);
      counts.queued_jobs_removed = queuedJobs;
      line = await this.ledger.insert(m, {
        requestId: r.id,
        subjectUserId: subject.userId!,
        tutorId: subject.tutorId,
        studentId: subject.studentId,
        erasedAt: this.clock.now(),
      });
      r.details = { ...r.details, erased: counts };
      await this.audit.record(
        {
          action: 'gdpr.erasure_tombstone',
          outcome: 'success',
          actor,
          resourceType: 'user',
          resourceId: subject.userId,
          details: { requestId: r.id, ledgerSeq: line.seq, tables: counts },
        },
        m,
      );
      return this.close(r, 'completed', 'Personal data erased; aggregates kept', actor, m);
    });
    this.ledger.append(line!);
    return done;
  }

  /**
   * Queued jobs carry ids only (house rule); any waiting or delayed job whose
   * payload nevertheless names the subject is removed. Returns how many.
   */
  private async scrubQueuedJobs(subject: DataSubject): Promise<number> {
    const { needles } = await identifiersOf(this.dataSource.manager, this.cipher, subject);
    if (!needles.length) return 0;
    const lowered = needles.map((n) => n.toLowerCase());
    let removed = 0;
    try {
      for (const queue of this.queues.all()) {
        const jobs = await queue.getJobs(['waiting', 'delayed', 'paused', 'failed']);
        for (const job of jobs) {
          if (!job) continue;
          const text = JSON.stringify(job.data ?? {}).toLowerCase();
          if (lowered.some((n) => text.includes(n))) {
            await job.remove();
            removed++;
          }
        }
      }
    } catch (error) {
      this.logger.warn(
        `queued jobs could not be checked for an erasure: ${(error as Error).message}`,
      );
    }
    return removed;
  }

  private async rectify(
    r: GdprRequest,
    subject: DataSubject,
    actor: AuditActor,
  ): Promise<GdprRequest> {
    const changes = (r.details.changes ?? {}) as Record<string, string>;
    return this.dataSource.transaction(async (m) => {
      const applied: string[] = [];
      for (const [field, value] of Object.entries(changes)) {
        const spec = RECTIFIABLE_FIELDS[field];
        if (!spec) continue;
        const id =
          spec.table === 'users'
            ? subject.userId
            : spec.table === 'tutors'
              ? subject.tutorId
              : subject.studentId;
        if (!id) continue;
        if (spec.table === 'students') {
          const student = await m.getRepository(Student).findOneBy({ id });
          if (!student) continue;
          // COPPA: a child's name is not stored before a parent has verified consent.
          if (
            spec.column === 'name' &&
            ageOn(student.birthYear, student.birthMonth, this.clock.now()) < COPPA_AGE &&
            student.parentConsentStatus !== 'granted'
          )
            continue;
          if (spec.column === 'name') student.name = value.trim();
          else student.gradeLevel = value.trim();
          await m.getRepository(Student).save(student);
        } else {
          await m.query(
            `UPDATE ${spec.table} SET ${spec.column} = $2, updated_at = now() WHERE id = $1`,
            [id, value.trim()],
          );
        }
        applied.push(field);
      }
      await this.audit.record(
        {
          action: 'gdpr.rectified',
          outcome: 'success',
          actor,
          resourceType: 'user',
          resourceId: subject.userId,
          changedFields: applied,
          details: { requestId: r.id },
        },
        m,
      );
      return this.close(
        r,
        'completed',
        applied.length ? `Rectified: ${applied.join(', ')}` : 'Nothing to rectify for this person',
        actor,
        m,
      );
    });
  }

  /** Objection (profiling or processing) and restriction: profiling stops, its stored results go. */
  private async stopProfiling(
    r: GdprRequest,
    subject: DataSubject,
    actor: AuditActor,
  ): Promise<GdprRequest> {
    return this.dataSource.transaction(async (m) => {
      const counts: Record<string, number> = {};
      for (const handler of this.registry.all()) {
        if (!handler.objectToProfiling) continue;
        for (const [t, n] of Object.entries(await handler.objectToProfiling(subject, m)))
          counts[t] = (counts[t] ?? 0) + n;
      }
      const purposes: ConsentPurpose[] =
        r.kind === 'restriction' ? [...CONSENT_PURPOSES] : ['profiling'];
      for (const purpose of purposes) await this.setConsent(subject.userId!, purpose, false, m);
      r.details = { ...r.details, applied: counts };
      await this.audit.record(
        {
          action: 'gdpr.profiling_stopped',
          outcome: 'success',
          actor,
          resourceType: 'user',
          resourceId: subject.userId,
          details: { requestId: r.id, kind: r.kind, tables: counts },
        },
        m,
      );
      const what =
        r.kind === 'restriction'
          ? 'Processing restricted: analytics, marketing and profiling consent withdrawn; churn scoring stopped and its stored scores deleted'
          : 'Objection upheld: churn scoring stopped and its stored scores deleted';
      return this.close(r, 'completed', what, actor, m);
    });
  }

  async consents(userId: string): Promise<Record<ConsentPurpose, boolean>> {
    const rows: { purpose: ConsentPurpose; granted: boolean }[] = await this.dataSource.query(
      'SELECT purpose, granted FROM privacy_consents WHERE user_id = $1',
      [userId],
    );
    const out = Object.fromEntries(CONSENT_PURPOSES.map((p) => [p, false])) as Record<
      ConsentPurpose,
      boolean
    >;
    for (const r of rows) out[r.purpose] = r.granted;
    return out;
  }

  async setConsent(
    userId: string,
    purpose: ConsentPurpose,
    granted: boolean,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO privacy_consents (user_id, purpose, granted, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id, purpose) DO UPDATE SET granted = EXCLUDED.granted, updated_at = EXCLUDED.updated_at`,
      [userId, purpose, granted, this.clock.now()],
    );
  }

  /**
   * The access/portability archive: one JSON document with, per table, the
   * rows as JSON and the same rows as a CSV string, plus the churn model's
   * explanation. Only for a completed access or portability request.
   */
  async archive(r: GdprRequest): Promise<Record<string, unknown>> {
    if ((r.kind !== 'access' && r.kind !== 'portability') || r.status !== 'completed')
      throw new DetailedHttpError(
        409,
        'An archive exists only for a completed access or portability request',
      );
    const subject = await this.subjectOf(r.subjectUserId);
    const tables: Record<string, { rows: ExportedTable; csv: string }> = {};
    await this.dataSource.transaction('REPEATABLE READ', async (m) => {
      for (const handler of this.registry.all()) {
        for (const [name, rows] of Object.entries(await handler.export(subject, m)))
          tables[name] = { rows, csv: toCsv(rows) };
      }
    });
    return {
      format: 'tutormax-personal-data-archive/1',
      about:
        'Everything TutorMax holds about you. Each table appears twice: "rows" as JSON and "csv" as comma-separated text you can save as a .csv file and open in a spreadsheet.',
      generatedAt: this.clock.now().toISOString(),
      request: { id: r.id, kind: r.kind, receivedAt: r.receivedAt },
      churnModel: subject.tutorId ? CHURN_MODEL_EXPLANATION : null,
      tables,
    };
  }
}

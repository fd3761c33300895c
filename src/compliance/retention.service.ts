import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { pruneAuditRows } from '../audit/audit-chain';
import { AuditEntry, AuditService } from '../audit/audit.service';
import type { AuditActor } from '../audit/audit-request';
import { Clock } from '../common/clock';
import { DetailedHttpError } from '../common/error-body';
import { queryRows } from '../common/query-rows';
import { FieldCipher } from '../security/field-cipher';
import { eraseSubject, identifiersOf, scrubFreeText } from './erasure';
import { RetentionRun } from './entities/retention.entity';
import { DataSubject, PersonalDataRegistry } from './personal-data-registry';
import { RETENTION_POLICY } from './retention-policy';
import {
  ARCHIVE_CLASS,
  archivePersonalData,
  archiveStudent,
  listArchived,
  recentArchivedSubjects,
  restoreStudent,
  RestoreResult,
  scrubArchive,
} from './retention-archive';

/** Rows a sweep acts on per class and run (the rest waits for the next day). */
export const RETENTION_BATCH = 1000;
/** Students archived, and people anonymised, per run (each is many rows and a free-text scrub). */
export const SUBJECT_BATCH = 200;
/** A student an admin restored from the archive is not archived again for this long. */
export const RESTORE_GRACE_DAYS = 90;
const DAY = 86_400_000;

/** Subjects under an active legal hold are never touched. */
const HOLD_TUTOR = `NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL AND h.tutor_id = x.tutor_id)`;
const HOLD_STUDENT = `NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL AND h.student_id = x.id)`;
const HOLD_RECIPIENT = `NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL AND x.recipient_id IN (h.subject_user_id, h.tutor_id, h.student_id))`;

interface DeleteRule {
  table: string;
  where: string;
}

/** Deleting classes: per table, rows older than the cut-off ($1). */
const DELETES: Record<string, DeleteRule[]> = {
  outbox_sent: [
    { table: 'outbox_events', where: 'x.published_at IS NOT NULL AND x.published_at < $1' },
    { table: 'tutor_metrics_triggers', where: 'x.stored_at < $1' },
  ],
  health_checks: [{ table: 'service_checks', where: 'x.checked_at < $1' }],
  message_log: [
    { table: 'notification_messages', where: `x.queued_at < $1 AND ${HOLD_RECIPIENT}` },
  ],
  expired_tokens: [
    { table: 'one_time_tokens', where: '(x.expires_at < $1 OR x.used_at IS NOT NULL)' },
    { table: 'refresh_tokens', where: 'x.expires_at < $1' },
    { table: 'parent_link_tokens', where: '(x.expires_at < $1 OR x.used_at IS NOT NULL)' },
  ],
  metrics_and_scores: [
    { table: 'tutor_metric_snapshots', where: `x.snapshot_date < $1::date AND ${HOLD_TUTOR}` },
    { table: 'tutor_risk_scores', where: `x.as_of < $1 AND ${HOLD_TUTOR}` },
  ],
};

/** Students whose last activity ($1: cut-off) is 7 years ago: not held, not restored lately ($2). */
const STUDENT_LAST_ACTIVITY = `GREATEST(x.created_at,
  (SELECT max(s.scheduled_start) FROM sessions s WHERE s.student_id = x.id),
  (SELECT max(f.submitted_at) FROM student_feedback f WHERE f.student_id = x.id),
  (SELECT max(u.last_login_at) FROM users u WHERE u.student_id = x.id))`;
const EDUCATION_DUE = `FROM students x WHERE ${STUDENT_LAST_ACTIVITY} < $1
  AND NOT EXISTS (SELECT 1 FROM archive.restorations r WHERE r.subject_id = x.id AND r.restored_at > $2)
  AND ${HOLD_STUDENT}
  AND NOT EXISTS (SELECT 1 FROM legal_holds h JOIN users u ON u.id = h.subject_user_id
                   WHERE h.released_at IS NULL AND u.student_id = x.id)`;

/** Archived records past their archive period ($1): not while the student or a linked user is held. */
const ARCHIVE_EXPIRED = `FROM archive.records a WHERE a.archived_at < $1
  AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL
        AND (h.student_id = a.subject_id OR h.subject_user_id = ANY(a.subject_user_ids)))`;

/**
 * People with no activity since the cut-off ($1), not yet anonymised, not
 * held: user accounts with their linked tutor and student (activity: sign-in,
 * sessions, feedback, tutor events), and tutors and students without an account.
 */
const INACTIVE_PEOPLE = `WITH people AS (
    SELECT u.id AS user_id, u.tutor_id, u.student_id, GREATEST(u.created_at, u.last_login_at) AS seen
      FROM users u
      LEFT JOIN tutors t ON t.id = u.tutor_id
      LEFT JOIN students s ON s.id = u.student_id
     WHERE u.email NOT LIKE 'erased-%' OR t.external_id NOT LIKE 'erased-%' OR s.external_id NOT LIKE 'erased-%'
    UNION ALL
    SELECT NULL::uuid, t.id, NULL::uuid, t.created_at FROM tutors t
     WHERE t.external_id NOT LIKE 'erased-%' AND NOT EXISTS (SELECT 1 FROM users u WHERE u.tutor_id = t.id)
    UNION ALL
    SELECT NULL::uuid, NULL::uuid, s.id, s.created_at FROM students s
     WHERE s.external_id NOT LIKE 'erased-%' AND NOT EXISTS (SELECT 1 FROM users u WHERE u.student_id = s.id)
  )
  SELECT p.user_id, p.tutor_id, p.student_id FROM people p
   WHERE GREATEST(p.seen,
           (SELECT max(x.scheduled_start) FROM sessions x WHERE x.tutor_id = p.tutor_id),
           (SELECT max(e.occurred_at) FROM tutor_events e WHERE e.tutor_id = p.tutor_id),
           (SELECT max(x.scheduled_start) FROM sessions x WHERE x.student_id = p.student_id),
           (SELECT max(f.submitted_at) FROM student_feedback f WHERE f.student_id = p.student_id)) < $1
     AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL
           AND (h.subject_user_id = p.user_id OR h.tutor_id = p.tutor_id OR h.student_id = p.student_id))`;

/** Under-13 students whose consent is still pending after 30 days. */
const COPPA_DUE = `FROM students x WHERE x.parent_consent_status = 'pending' AND x.created_at < $1
  AND x.external_id NOT LIKE 'erased-%' AND ${HOLD_STUDENT}`;

/**
 * The daily retention sweep (maintenance queue): counts what each class has
 * due (the dry-run report), and acts, in capped batches, only for classes an
 * admin enabled: deletes, anonymises (inactive people, unverified COPPA
 * children), archives education records and later deletes them from the
 * archive, and prunes the audit log from its oldest end. Subjects under a
 * legal hold are skipped. Every action is audited (one row per archived,
 * restored or anonymised person, one per run).
 */
@Injectable()
export class RetentionService implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: PersonalDataRegistry,
    private readonly cipher: FieldCipher,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** GDPR export and erasure reach the archive. */
  onModuleInit(): void {
    this.registry.register(archivePersonalData(this.cipher));
  }

  /** Classes the sweep can act on (all of them). */
  static readonly ACTIONABLE: readonly string[] = RETENTION_POLICY.map((c) => c.key);

  private cutoff(key: string): Date {
    const c = RETENTION_POLICY.find((p) => p.key === key)!;
    return new Date(this.clock.now().getTime() - (c.days ?? 0) * DAY);
  }

  private restoreGraceCutoff(): Date {
    return new Date(this.clock.now().getTime() - RESTORE_GRACE_DAYS * DAY);
  }

  async enabled(): Promise<Set<string>> {
    const rows: { class_key: string }[] = await this.dataSource.query(
      'SELECT class_key FROM retention_settings WHERE acting_enabled',
    );
    return new Set(rows.map((r) => r.class_key));
  }

  async setActing(key: string, on: boolean, actor: AuditActor): Promise<void> {
    if (!RetentionService.ACTIONABLE.includes(key))
      throw new DetailedHttpError(
        400,
        `No retention class ${key}; the classes are: ${RetentionService.ACTIONABLE.join(', ')}`,
      );
    await this.dataSource.query(
      `INSERT INTO retention_settings (class_key, acting_enabled, updated_by_user_id, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (class_key) DO UPDATE SET acting_enabled = EXCLUDED.acting_enabled,
         updated_by_user_id = EXCLUDED.updated_by_user_id, updated_at = EXCLUDED.updated_at`,
      [key, on, actor.type === 'user' ? actor.id : null, this.clock.now()],
    );
    await this.audit.record({
      action: 'retention.acting_changed',
      outcome: 'success',
      actor,
      resourceType: 'retention_class',
      resourceId: key,
      details: { actingEnabled: on },
    });
  }

  private async count(m: EntityManager, key: string): Promise<number> {
    const cut = this.cutoff(key);
    const one = async (sql: string, params: unknown[]) =>
      ((await m.query(sql, params)) as { n: number }[])[0].n;
    if (key === 'coppa_unverified') return one(`SELECT count(*)::int AS n ${COPPA_DUE}`, [cut]);
    if (DELETES[key]) {
      let n = 0;
      for (const rule of DELETES[key])
        n += await one(`SELECT count(*)::int AS n FROM ${rule.table} x WHERE ${rule.where}`, [cut]);
      return n;
    }
    switch (key) {
      case 'audit_log':
        return one('SELECT count(*)::int AS n FROM audit_log WHERE occurred_at < $1', [cut]);
      case ARCHIVE_CLASS:
        return one(`SELECT count(*)::int AS n ${EDUCATION_DUE}`, [cut, this.restoreGraceCutoff()]);
      case 'education_archive':
        return one(`SELECT count(*)::int AS n ${ARCHIVE_EXPIRED}`, [cut]);
      case 'inactive_personal_data':
        return one(`SELECT count(*)::int AS n FROM (${INACTIVE_PEOPLE}) AS due`, [cut]);
    }
    return 0;
  }

  private async act(m: EntityManager, key: string, audit: AuditEntry[]): Promise<number> {
    const cut = this.cutoff(key);
    const system: AuditActor = { type: 'system', id: null };
    if (key === 'coppa_unverified') {
      const ids: { id: string }[] = await m.query(
        `SELECT x.id ${COPPA_DUE} ORDER BY x.created_at LIMIT ${RETENTION_BATCH}`,
        [cut],
      );
      const tutoring = this.registry.all().filter((h) => h.name === 'tutoring');
      for (const { id } of ids)
        await eraseSubject(m, this.cipher, tutoring, {
          userId: null,
          tutorId: null,
          studentId: id,
        });
      return ids.length;
    }
    if (key === ARCHIVE_CLASS) {
      // Locks each student row: no session can be added to a student while it is archived.
      const due: { id: string; last_activity: Date }[] = await m.query(
        `SELECT x.id, ${STUDENT_LAST_ACTIVITY} AS last_activity ${EDUCATION_DUE}
          ORDER BY 2, x.id LIMIT ${SUBJECT_BATCH} FOR UPDATE OF x SKIP LOCKED`,
        [cut, this.restoreGraceCutoff()],
      );
      const now = this.clock.now();
      for (const { id, last_activity } of due) {
        const tables = await archiveStudent(m, id, last_activity, now);
        audit.push({
          action: 'retention.archived',
          outcome: 'success',
          actor: system,
          resourceType: 'student',
          resourceId: id,
          details: { classKey: key, tables, lastActivityAt: new Date(last_activity).toISOString() },
        });
      }
      return due.length;
    }
    if (key === 'education_archive') {
      const gone: { subject_id: string }[] = queryRows(
        await m.query(
          `DELETE FROM archive.records WHERE id IN (
             SELECT a.id ${ARCHIVE_EXPIRED} ORDER BY a.id LIMIT ${RETENTION_BATCH})
           RETURNING subject_id`,
          [cut],
        ),
      );
      const bySubject = new Map<string, number>();
      for (const g of gone) bySubject.set(g.subject_id, (bySubject.get(g.subject_id) ?? 0) + 1);
      for (const [subject, records] of bySubject)
        audit.push({
          action: 'retention.archive_deleted',
          outcome: 'success',
          actor: system,
          resourceType: 'student',
          resourceId: subject,
          details: { classKey: key, records },
        });
      return gone.length;
    }
    if (key === 'inactive_personal_data') return this.anonymiseInactive(m, cut, audit);
    if (key === 'audit_log') {
      // A legal hold keeps the log from its first row about the held person onwards
      // (the chain is pruned as a prefix only).
      const [held]: { seq: string | null }[] = await m.query(
        `SELECT min(a.seq)::text AS seq FROM audit_log a
          WHERE a.occurred_at < $1 AND (a.actor_id = ANY($2::text[]) OR a.resource_id = ANY($2::text[]))`,
        [cut, await this.heldIds(m)],
      );
      const pruned = await pruneAuditRows(m, cut, {
        maxRows: RETENTION_BATCH,
        keepFromSeq: held.seq,
      });
      return pruned.deleted;
    }
    let n = 0;
    for (const rule of DELETES[key] ?? []) {
      const [, deleted] = (await m.query(
        `DELETE FROM ${rule.table} WHERE ctid IN (SELECT x.ctid FROM ${rule.table} x WHERE ${rule.where} LIMIT ${RETENTION_BATCH})`,
        [cut],
      )) as [unknown, number];
      n += deleted;
    }
    return n;
  }

  /** Every id (user, tutor, student) under an active legal hold, as text. */
  private async heldIds(m: EntityManager): Promise<string[]> {
    const rows: { id: string }[] = await m.query(
      `SELECT DISTINCT x::text AS id
         FROM legal_holds h, unnest(ARRAY[h.subject_user_id, h.tutor_id, h.student_id]) AS x
        WHERE h.released_at IS NULL AND x IS NOT NULL`,
    );
    return rows.map((r) => r.id).filter(Boolean);
  }

  /**
   * Anonymises people inactive since `cut` with the erasure handlers (the
   * archive handler aside: their archived records are anonymised in place,
   * not deleted, as they still have their archive period), then one
   * free-text scrub of the live tables and the archive for the whole batch.
   */
  private async anonymiseInactive(m: EntityManager, cut: Date, audit: AuditEntry[]) {
    const people: DataSubject[] = (
      (await m.query(`${INACTIVE_PEOPLE} LIMIT ${SUBJECT_BATCH}`, [cut])) as {
        user_id: string | null;
        tutor_id: string | null;
        student_id: string | null;
      }[]
    ).map((p) => ({ userId: p.user_id, tutorId: p.tutor_id, studentId: p.student_id }));
    const handlers = this.registry.all().filter((h) => h.name !== 'archive');
    const needles = new Set<string>();
    for (const subject of people) {
      const ids = await identifiersOf(m, this.cipher, subject);
      ids.needles.forEach((n) => needles.add(n));
      const tables: Record<string, number> = {};
      for (const handler of handlers)
        for (const [table, n] of Object.entries(await handler.erase(subject, m, ids.needles)))
          tables[table] = (tables[table] ?? 0) + n;
      const [type, id] = subject.userId
        ? ['user', subject.userId]
        : subject.tutorId
          ? ['tutor', subject.tutorId]
          : ['student', subject.studentId];
      audit.push({
        action: 'retention.anonymised',
        outcome: 'success',
        actor: { type: 'system', id: null },
        resourceType: type,
        resourceId: id,
        details: {
          classKey: 'inactive_personal_data',
          tutorId: subject.tutorId,
          studentId: subject.studentId,
          tables,
        },
      });
    }
    if (needles.size) {
      await scrubFreeText(m, this.cipher, [...needles]);
      await scrubArchive(m, this.cipher, [...needles]);
    }
    return people.length;
  }

  /** One sweep: the dry-run report for every class; actions for the enabled ones. */
  async sweep(actor: AuditActor = { type: 'system', id: null }): Promise<RetentionRun> {
    const enabled = await this.enabled();
    return this.dataSource.transaction(async (m) => {
      const due: Record<string, number> = {};
      const acted: Record<string, number> = {};
      const entries: AuditEntry[] = [];
      for (const c of RETENTION_POLICY) {
        due[c.key] = await this.count(m, c.key);
        if (enabled.has(c.key) && due[c.key] > 0) acted[c.key] = await this.act(m, c.key, entries);
      }
      const repo = m.getRepository(RetentionRun);
      const run = await repo.save(repo.create({ ranAt: this.clock.now(), due, acted }));
      // Audit rows last: they hold the audit chain's lock until this transaction commits.
      for (const entry of entries)
        await this.audit.record({ ...entry, details: { ...entry.details, runId: run.id } }, m);
      await this.audit.record(
        {
          action: Object.keys(acted).length ? 'retention.swept' : 'retention.reported',
          outcome: 'success',
          actor,
          resourceType: 'retention_run',
          resourceId: run.id,
          details: { due, acted },
        },
        m,
      );
      return run;
    });
  }

  async lastRun(): Promise<RetentionRun | null> {
    return this.dataSource
      .getRepository(RetentionRun)
      .findOne({ where: {}, order: { ranAt: 'DESC' } });
  }

  /** The archived records of a student (by student id, or a user id linked to them when archived). */
  listArchived(subjectId: string) {
    return listArchived(this.dataSource.manager, subjectId);
  }

  recentArchivedSubjects(limit = 50) {
    return recentArchivedSubjects(this.dataSource.manager, limit);
  }

  /** Restores a student's archived records into the live tables; audited. */
  async restore(studentId: string, actor: AuditActor): Promise<RestoreResult> {
    return this.dataSource.transaction(async (m) => {
      const result = await restoreStudent(m, studentId);
      const records = Object.values(result.restored).reduce((a, b) => a + b, 0);
      await m.query(
        `INSERT INTO archive.restorations (subject_id, records, restored_by_user_id, restored_at)
         VALUES ($1, $2, $3, $4)`,
        [studentId, records, actor.type === 'user' ? actor.id : null, this.clock.now()],
      );
      await this.audit.record(
        {
          action: 'retention.restored',
          outcome: 'success',
          actor,
          resourceType: 'student',
          resourceId: studentId,
          details: { tables: result.restored, relinkedUsers: result.relinkedUsers },
        },
        m,
      );
      return result;
    });
  }
}

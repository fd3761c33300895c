import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { AuditActor } from '../audit/audit-request';
import { Clock } from '../common/clock';
import { DetailedHttpError } from '../common/error-body';
import { FieldCipher } from '../security/field-cipher';
import { eraseSubject } from './erasure';
import { RetentionRun } from './entities/retention.entity';
import { PersonalDataRegistry } from './personal-data-registry';
import { RETENTION_POLICY } from './retention-policy';

/** Rows a sweep acts on per class and run (the rest waits for the next day). */
export const RETENTION_BATCH = 1000;
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

/** Under-13 students whose consent is still pending after 30 days. */
const COPPA_DUE = `FROM students x WHERE x.parent_consent_status = 'pending' AND x.created_at < $1
  AND x.external_id NOT LIKE 'erased-%' AND ${HOLD_STUDENT}`;

/**
 * The daily retention sweep (maintenance queue): counts what each class has
 * due (the dry-run report), and acts, in batches of RETENTION_BATCH, only for
 * classes an admin enabled. Classes whose action is not built yet
 * (education-record archive, inactive anonymisation, audit pruning) are
 * reported, never acted on. Each acting run is audited.
 */
@Injectable()
export class RetentionService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: PersonalDataRegistry,
    private readonly cipher: FieldCipher,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** Classes the sweep can act on today. */
  static readonly ACTIONABLE = [...Object.keys(DELETES), 'coppa_unverified'];

  private cutoff(key: string): Date {
    const c = RETENTION_POLICY.find((p) => p.key === key)!;
    return new Date(this.clock.now().getTime() - (c.days ?? 0) * DAY);
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
        `class ${key} cannot act yet; actionable: ${RetentionService.ACTIONABLE.join(', ')}`,
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
    if (key === 'coppa_unverified') {
      const [r] = await m.query(`SELECT count(*)::int AS n ${COPPA_DUE}`, [cut]);
      return r.n;
    }
    if (DELETES[key]) {
      let n = 0;
      for (const rule of DELETES[key]) {
        const [r] = await m.query(
          `SELECT count(*)::int AS n FROM ${rule.table} x WHERE ${rule.where}`,
          [cut],
        );
        n += r.n;
      }
      return n;
    }
    if (key === 'audit_log') {
      const [r] = await m.query('SELECT count(*)::int AS n FROM audit_log WHERE occurred_at < $1', [
        cut,
      ]);
      return r.n;
    }
    if (key === 'education_records' || key === 'inactive_personal_data') {
      const [r] = await m.query(
        `SELECT count(*)::int AS n FROM students x WHERE x.external_id NOT LIKE 'erased-%'
           AND COALESCE((SELECT max(s.scheduled_start) FROM sessions s WHERE s.student_id = x.id), x.created_at) < $1`,
        [cut],
      );
      return r.n;
    }
    return 0;
  }

  private async act(m: EntityManager, key: string): Promise<number> {
    const cut = this.cutoff(key);
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

  /** One sweep: the dry-run report for every class; actions for the enabled ones. */
  async sweep(actor: AuditActor = { type: 'system', id: null }): Promise<RetentionRun> {
    const enabled = await this.enabled();
    return this.dataSource.transaction(async (m) => {
      const due: Record<string, number> = {};
      const acted: Record<string, number> = {};
      for (const c of RETENTION_POLICY) {
        due[c.key] = await this.count(m, c.key);
        if (enabled.has(c.key) && RetentionService.ACTIONABLE.includes(c.key) && due[c.key] > 0)
          acted[c.key] = await this.act(m, c.key);
      }
      const repo = m.getRepository(RetentionRun);
      const run = await repo.save(repo.create({ ranAt: this.clock.now(), due, acted }));
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
}

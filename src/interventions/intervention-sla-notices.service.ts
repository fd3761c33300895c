import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { Intervention } from './entities/intervention.entity';
import { InterventionMailer, StaffRecipient } from './intervention-mailer.service';
import { isFinal } from './intervention.constants';
import { NOTICE_STAGES, NoticeStage, noticeTimes, SlaTarget } from './intervention-sla';
import { InterventionsService } from './interventions.service';
import { InterventionConfigService } from './intervention-config.service';

const TARGET_LABEL: Record<SlaTarget, string> = {
  first_action: 'First action',
  resolution: 'Resolution',
};

const COPY: Record<NoticeStage, { subject: string; heading: string; summary: string }> = {
  at_risk: {
    subject: '⏳ SLA warning',
    heading: 'An intervention is close to its deadline',
    summary: '75% of the time allowed has passed.',
  },
  breached: {
    subject: '⛔ SLA breached',
    heading: 'An intervention has missed its deadline',
    summary: 'The time allowed has run out.',
  },
  escalated: {
    subject: '🚨 Escalation: SLA breached',
    heading: 'Escalation: an intervention has missed its deadline',
    summary: 'The time allowed has run out; it is escalated to the operations managers.',
  },
  escalated_again: {
    subject: '🚨 Second escalation: still breached',
    heading: 'Second escalation: still unresolved a working day after the deadline',
    summary: 'The intervention is still open a full working day after its deadline.',
  },
};

/**
 * SLA notices: the warning at 75% and the breach go to the assignee (to the
 * operations managers while nobody is assigned); the breach and a breach still
 * open a working day later escalate to the operations managers. Each notice is
 * recorded once per (intervention, target, stage) in the same transaction that
 * sends it, and none goes out for a finished or paused intervention.
 */
@Injectable()
export class InterventionSlaNotices {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly interventions: InterventionsService,
    private readonly config: InterventionConfigService,
    private readonly mailer: InterventionMailer,
    private readonly clock: Clock,
  ) {}

  async check(id: string): Promise<{ sent: string[]; next: Date | null }> {
    const sent: string[] = [];
    const result = await this.dataSource.transaction(async (m) => {
      const rows: unknown[] = await m.query('SELECT 1 FROM interventions WHERE id = $1', [id]);
      if (!rows.length) return null;
      const iv = await this.interventions.lock(m, id);
      const now = this.clock.now();
      if (isFinal(iv.status)) {
        if (iv.nextSlaCheckAt) await this.interventions.recompute(m, iv, now);
        return iv;
      }
      const history = await this.interventions.history(m, id);
      const already = await this.interventions.sentNotices(m, id);
      const clocks = await this.interventions.applySla(m, iv, history, already, now);
      if (!iv.slaPaused) {
        const { document } = await this.config.sla(m);
        const [info]: {
          tutor_name: string;
          assignee_name: string | null;
          assignee_email: string | null;
        }[] = await m.query(
          `SELECT t.name AS tutor_name, u.full_name AS assignee_name, u.email AS assignee_email
               FROM interventions i JOIN tutors t ON t.id = i.tutor_id
               LEFT JOIN users u ON u.id = i.assignee_user_id AND u.is_active
              WHERE i.id = $1`,
          [id],
        );
        let managers: StaffRecipient[] | null = null;
        const opsManagers = async () =>
          (managers ??= (
            (await m.query(
              `SELECT email, full_name FROM users WHERE is_active AND 'operations_manager' = ANY(roles) ORDER BY email`,
            )) as { email: string; full_name: string }[]
          ).map((r) => ({ email: r.email, fullName: r.full_name })));
        for (const target of ['first_action', 'resolution'] as const) {
          const clock = clocks[target];
          if (clock.metAt !== null) continue;
          const times = noticeTimes(clock, document.calendar);
          for (const stage of NOTICE_STAGES) {
            if (times[stage] > now.getTime() || already.has(`${target}:${stage}`)) continue;
            const toAssignee = stage === 'at_risk' || stage === 'breached';
            const recipients: StaffRecipient[] =
              toAssignee && info.assignee_email
                ? [{ email: info.assignee_email, fullName: info.assignee_name ?? '' }]
                : await opsManagers();
            const inserted: unknown[] = await m.query(
              `INSERT INTO intervention_sla_notices (intervention_id, target, stage, recipients, sent_at)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1`,
              [id, target, stage, recipients.length, now],
            );
            if (!inserted.length) continue;
            already.add(`${target}:${stage}`);
            for (const to of recipients) {
              await this.mailer.sendSlaNotice(to, {
                interventionId: id,
                subject: `${COPY[stage].subject}: ${TARGET_LABEL[target]} for ${info.tutor_name}`,
                heading: COPY[stage].heading,
                summary: COPY[stage].summary,
                tutorName: info.tutor_name,
                type: iv.type,
                priority: iv.priority,
                targetLabel: TARGET_LABEL[target],
                dueAt: new Date(clock.dueAt),
                assigneeName: info.assignee_name ?? 'nobody yet',
              });
            }
            sent.push(`${target}:${stage}`);
          }
        }
      }
      await this.interventions.applySla(m, iv, history, already, now);
      await m.getRepository(Intervention).save(iv);
      return iv;
    });
    if (result?.nextSlaCheckAt)
      await this.interventions.scheduleSlaCheck(id, result.nextSlaCheckAt);
    return { sent, next: result?.nextSlaCheckAt ?? null };
  }

  /** The safety net: ids whose next check time has passed (the exact job was lost or Redis was away). */
  async due(limit = 500): Promise<{ id: string; at: Date }[]> {
    const rows: { id: string; next_sla_check_at: Date }[] = await this.dataSource.query(
      `SELECT id, next_sla_check_at FROM interventions
        WHERE next_sla_check_at IS NOT NULL AND next_sla_check_at <= $1
        ORDER BY next_sla_check_at LIMIT $2`,
      [this.clock.now(), limit],
    );
    return rows.map((r) => ({ id: r.id, at: r.next_sla_check_at }));
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DetailedHttpError } from '../common/error-body';
import { MissingRecordError } from '../workers/job-errors';
import { JobProcessor } from '../workers/job-processor.decorator';
import { JOBS } from '../workers/queues';
import {
  InterventionAssignedJob,
  InterventionJob,
  MessageOutcomeJob,
  MetricsUpdatedJob,
  NightlyRulesJob,
  RiskScoredJob,
  SlaSweepJob,
} from './dto/intervention-jobs.dto';
import {
  MESSAGE_OUTCOME_EVENT,
  NotificationsService,
} from '../notifications/notifications.service';
import { AUTOMATED_WORKFLOW, InterventionMailer } from './intervention-mailer.service';
import { RISK_SCORED_EVENT, InterventionType } from './intervention.constants';
import { InterventionRuleRunner } from './intervention-rule-runner.service';
import { InterventionSlaNotices } from './intervention-sla-notices.service';
import { INTERVENTION_ASSIGNED_EVENT, InterventionsService } from './interventions.service';

const METRICS_UPDATED_EVENT = 'tutor.metrics-updated';

/** A missing tutor can never succeed: fail without retry. */
function permanent<T>(work: Promise<T>, kind: string, id: string): Promise<T> {
  return work.catch((error: unknown) => {
    if (error instanceof DetailedHttpError && error.statusCode === 404)
      throw new MissingRecordError(kind, id);
    throw error;
  });
}

/** The interventions module's processors: thin, payloads validated by the job machinery. */
@Injectable()
export class InterventionsProcessor {
  private readonly logger = new Logger('InterventionJobs');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly rules: InterventionRuleRunner,
    private readonly interventions: InterventionsService,
    private readonly notices: InterventionSlaNotices,
    private readonly mailer: InterventionMailer,
    private readonly notificationLog: NotificationsService,
  ) {}

  @JobProcessor(JOBS.interventions.riskScored, {
    payload: RiskScoredJob,
    concurrency: 4,
    events: [RISK_SCORED_EVENT],
  })
  async onRiskScored(job: RiskScoredJob) {
    const r = await permanent(
      this.rules.runForTutor(job.tutorId, 'all', job.churnScore),
      'tutor',
      job.tutorId,
    );
    return { skipped: r.skipped, created: r.create.length, refreshed: r.refresh.length };
  }

  @JobProcessor(JOBS.interventions.metricsUpdated, {
    payload: MetricsUpdatedJob,
    concurrency: 4,
    events: [METRICS_UPDATED_EVENT],
  })
  async onMetricsUpdated(job: MetricsUpdatedJob) {
    const r = await permanent(this.rules.runForTutor(job.tutorId, 'metrics'), 'tutor', job.tutorId);
    return { skipped: r.skipped, created: r.create.length, refreshed: r.refresh.length };
  }

  @JobProcessor(JOBS.interventions.nightlyRules, { payload: NightlyRulesJob })
  runNightly() {
    return this.rules.runNightly();
  }

  /**
   * Queues an automated intervention's email to the tutor (idempotent: only
   * while open; one message per intervention). The intervention completes
   * when the message log reports it sent (`notification.outcome`), not here.
   */
  @JobProcessor(JOBS.interventions.deliverAutomated, { payload: InterventionJob, concurrency: 4 })
  async deliver(job: InterventionJob) {
    const [row]: {
      status: string;
      type: InterventionType;
      reason: string;
      tutor_id: string;
      name: string;
      email: string;
      manager_user_id: string | null;
    }[] = await this.dataSource.query(
      `SELECT i.status, i.type, i.reason, t.id AS tutor_id, t.name, t.email, t.manager_user_id
           FROM interventions i JOIN tutors t ON t.id = i.tutor_id WHERE i.id = $1`,
      [job.interventionId],
    );
    if (!row) throw new MissingRecordError('intervention', job.interventionId);
    if (row.status !== 'open') return { skipped: row.status };
    let message: { status: string; lastError: string | null };
    try {
      message = await this.mailer.sendAutomated({
        id: job.interventionId,
        type: row.type,
        reason: row.reason,
        tutorId: row.tutor_id,
        tutorName: row.name,
        tutorEmail: row.email,
        managerUserId: row.manager_user_id,
      });
    } catch (error) {
      await this.interventions.recordDelivery(job.interventionId, {
        status: 'failed',
        error: (error as Error).message,
      });
      throw error;
    }
    const r = await this.interventions.recordDelivery(job.interventionId, {
      status: message.status,
      error: message.lastError,
    });
    return { message: message.status, ...r };
  }

  /** notification.outcome for an automated intervention's email: record it (sent completes it). */
  @JobProcessor(JOBS.interventions.deliveryOutcome, {
    payload: MessageOutcomeJob,
    concurrency: 4,
    events: [MESSAGE_OUTCOME_EVENT],
  })
  async deliveryOutcome(job: MessageOutcomeJob) {
    if (job.workflow !== AUTOMATED_WORKFLOW) return { skipped: job.workflow };
    const logged = await this.notificationLog.messageStatus(job.workflow, job.entityKey);
    const r = await permanent(
      this.interventions.recordDelivery(job.entityKey, {
        status: job.status,
        error: logged?.lastError ?? null,
      }),
      'intervention',
      job.entityKey,
    );
    return r;
  }

  /** intervention.assigned: the "assigned to you" notice, once per (intervention, assignee). */
  @JobProcessor(JOBS.interventions.assignmentNotice, {
    payload: InterventionAssignedJob,
    concurrency: 4,
    events: [INTERVENTION_ASSIGNED_EVENT],
  })
  assignmentNotice(job: InterventionAssignedJob) {
    return this.mailer.sendAssignmentNotice(job.interventionId, job.assigneeId);
  }

  @JobProcessor(JOBS.interventions.slaCheck, { payload: InterventionJob, concurrency: 4 })
  slaCheck(job: InterventionJob) {
    return this.notices.check(job.interventionId);
  }

  /** Enqueues a check for every intervention whose next notice time has passed. */
  @JobProcessor(JOBS.interventions.slaSweep, { payload: SlaSweepJob })
  async slaSweep() {
    const due = await this.notices.due();
    const minute = Math.floor(Date.now() / 60_000);
    for (const d of due) await this.interventions.scheduleSlaCheck(d.id, d.at, `:sweep:${minute}`);
    if (due.length) this.logger.debug(`SLA sweep: ${due.length} checks enqueued`);
    return { enqueued: due.length };
  }
}

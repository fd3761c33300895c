import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DetailedHttpError } from '../common/error-body';
import { MissingRecordError } from '../workers/job-errors';
import { JobProcessor } from '../workers/job-processor.decorator';
import { JOBS } from '../workers/queues';
import {
  InterventionJob,
  MetricsUpdatedJob,
  NightlyRulesJob,
  RiskScoredJob,
  SlaSweepJob,
} from './dto/intervention-jobs.dto';
import { InterventionMailer } from './intervention-mailer.service';
import { RISK_SCORED_EVENT, InterventionType } from './intervention.constants';
import { InterventionRuleRunner } from './intervention-rule-runner.service';
import { InterventionSlaNotices } from './intervention-sla-notices.service';
import { InterventionsService } from './interventions.service';

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

  /** Emails an automated intervention to the tutor, then completes it (idempotent: only while open). */
  @JobProcessor(JOBS.interventions.deliverAutomated, { payload: InterventionJob, concurrency: 4 })
  async deliver(job: InterventionJob) {
    const [row]: {
      status: string;
      type: InterventionType;
      reason: string;
      name: string;
      email: string;
    }[] = await this.dataSource.query(
      `SELECT i.status, i.type, i.reason, t.name, t.email
           FROM interventions i JOIN tutors t ON t.id = i.tutor_id WHERE i.id = $1`,
      [job.interventionId],
    );
    if (!row) throw new MissingRecordError('intervention', job.interventionId);
    if (row.status !== 'open') return { skipped: row.status };
    try {
      await this.mailer.sendAutomated(row.type, { name: row.name, email: row.email }, row.reason);
    } catch (error) {
      await this.interventions.completeAutomated(job.interventionId, {
        ok: false,
        error: (error as Error).message,
      });
      throw error;
    }
    await this.interventions.completeAutomated(job.interventionId, { ok: true });
    return { delivered: true };
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

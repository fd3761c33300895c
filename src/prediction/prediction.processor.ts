import { Injectable } from '@nestjs/common';
import { JobProcessor } from '../workers/job-processor.decorator';
import { JOBS } from '../workers/queues';
import { ChurnScoringService } from './churn-scoring.service';
import {
  FeedbackRecordedJob,
  ScheduledPredictionJob,
  ScoreTutorJob,
  SessionRecordedJob,
  TrainModelsJob,
} from './dto/prediction-jobs.dto';
import { FirstSessionService } from './first-session.service';
import { TrainingService } from './training.service';

const METRICS_UPDATED_EVENT = 'tutor.metrics-updated';

/** The prediction and training queues' processors: thin, payloads validated by the machinery. */
@Injectable()
export class PredictionProcessor {
  constructor(
    private readonly churn: ChurnScoringService,
    private readonly firstSessions: FirstSessionService,
    private readonly training: TrainingService,
  ) {}

  @JobProcessor(JOBS.prediction.scoreTutor, {
    payload: ScoreTutorJob,
    concurrency: 4,
    events: [METRICS_UPDATED_EVENT],
  })
  scoreTutor(job: ScoreTutorJob) {
    return this.churn.score([job.tutorId]);
  }

  @JobProcessor(JOBS.prediction.churnScoring, { payload: ScheduledPredictionJob })
  async nightly() {
    const churned = await this.churn.markChurned();
    const expired = await this.churn.expireOverrides();
    const scored = await this.churn.score(null, { emit: 'band-changes' });
    return { ...churned, expiredOverrides: expired, ...scored };
  }

  @JobProcessor(JOBS.prediction.overrideExpiry, { payload: ScheduledPredictionJob })
  async expireOverrides() {
    return { expired: await this.churn.expireOverrides() };
  }

  @JobProcessor(JOBS.prediction.firstSessionScore, {
    payload: SessionRecordedJob,
    concurrency: 4,
    events: ['session.recorded'],
    // Most recorded sessions are over; only one still to come can be an upcoming first
    // session. An event from an earlier version, without the flag, is let through.
    when: (event) => event.upcoming !== false,
  })
  scoreFirstSession(job: SessionRecordedJob) {
    return this.firstSessions.score([job.sessionId]);
  }

  @JobProcessor(JOBS.prediction.firstSessionOutcome, {
    payload: FeedbackRecordedJob,
    concurrency: 4,
    events: ['feedback.recorded'],
  })
  async firstSessionOutcome(job: FeedbackRecordedJob) {
    if (!job.sessionId) return { recorded: 0 };
    return { recorded: await this.firstSessions.recordOutcomes([job.sessionId]) };
  }

  @JobProcessor(JOBS.prediction.firstSessionLookahead, { payload: ScheduledPredictionJob })
  async lookahead() {
    const scored = await this.firstSessions.score(null, 24);
    const outcomes = await this.firstSessions.recordOutcomes(null);
    return { ...scored, outcomes };
  }

  @JobProcessor(JOBS.prediction.firstSessionEvaluation, { payload: ScheduledPredictionJob })
  async evaluateFirstSession() {
    return (await this.firstSessions.evaluate()) ?? { skipped: 'no active first-session model' };
  }

  @JobProcessor(JOBS.training.trainModels, { payload: TrainModelsJob })
  async train(job: TrainModelsJob) {
    const runId = job.runId ?? (await this.training.createRun(job.trigger ?? 'schedule')).id;
    const summary = await this.training.run(runId);
    if (summary.decisions.some((d) => d.status === 'active' && d.kind === 'churn')) {
      await this.churn.score(null, { emit: 'band-changes' });
    }
    return summary;
  }
}

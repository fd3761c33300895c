import { Injectable } from '@nestjs/common';
import { JobProcessor } from '../workers/job-processor.decorator';
import { JOBS } from '../workers/queues';
import { NightlyEvaluationJob, RecomputeTutorJob, TutorActivityJob } from './evaluation-jobs.dto';
import { NightlyEvaluationService } from './nightly-evaluation.service';
import { TutorEvaluationService } from './tutor-evaluation.service';

/** The evaluation queue's processors: validate (done by the wrapper), call a service. */
@Injectable()
export class EvaluationProcessor {
  constructor(
    private readonly tutors: TutorEvaluationService,
    private readonly nightly: NightlyEvaluationService,
  ) {}

  @JobProcessor(JOBS.evaluation.tutorActivity, {
    payload: TutorActivityJob,
    concurrency: 8,
    events: ['session.recorded', 'feedback.recorded', 'tutor-event.recorded'],
  })
  onTutorActivity(event: TutorActivityJob) {
    return this.tutors.noteTutorActivity(event);
  }

  @JobProcessor(JOBS.evaluation.recomputeTutor, { payload: RecomputeTutorJob, concurrency: 4 })
  recompute(job: RecomputeTutorJob) {
    return this.tutors.recomputeTutor(job.tutorId, job.bucket);
  }

  @JobProcessor(JOBS.evaluation.nightly, { payload: NightlyEvaluationJob })
  runNightly(job: NightlyEvaluationJob) {
    return this.nightly.run(job.snapshotDate);
  }
}

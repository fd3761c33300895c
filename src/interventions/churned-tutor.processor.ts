import { Injectable } from '@nestjs/common';
import { TutorChurnedJob } from '../prediction/dto/prediction-jobs.dto';
import { JobProcessor } from '../workers/job-processor.decorator';
import { JOBS } from '../workers/queues';
import { ChurnedTutorService } from './churned-tutor.service';

/** tutor.churned: the prediction module's labels say the tutor left. */
@Injectable()
export class ChurnedTutorProcessor {
  constructor(private readonly churned: ChurnedTutorService) {}

  @JobProcessor(JOBS.churnedTutors.closeInterventions, {
    payload: TutorChurnedJob,
    events: ['tutor.churned'],
  })
  async close(job: TutorChurnedJob) {
    return { closed: await this.churned.closeOpen(job.tutorId, job.reason ?? null) };
  }
}

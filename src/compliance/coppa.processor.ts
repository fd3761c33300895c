import { Injectable } from '@nestjs/common';
import { IsUUID } from 'class-validator';
import { STUDENT_CONSENT_NEEDED } from '../tutoring/tutoring.constants';
import { EventJobPayload } from '../workers/domain-event.dto';
import { JobProcessor } from '../workers/job-processor.decorator';
import { JOBS } from '../workers/queues';
import { CoppaService } from './coppa.service';

/** student.consent-needed: the under-13 student whose parent is to be asked. */
export class CoppaConsentRequestJob extends EventJobPayload {
  @IsUUID()
  studentId: string;
}

/** COPPA's queued work: thin, the payload validated by the job machinery. */
@Injectable()
export class CoppaProcessor {
  constructor(private readonly coppa: CoppaService) {}

  @JobProcessor(JOBS.compliance.coppaConsentRequest, {
    payload: CoppaConsentRequestJob,
    concurrency: 2,
    events: [STUDENT_CONSENT_NEEDED],
  })
  async consentRequest(payload: CoppaConsentRequestJob) {
    return { outcome: await this.coppa.requestConsentOnIngest(payload.studentId) };
  }
}

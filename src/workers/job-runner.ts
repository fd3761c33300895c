import type { LoggerService } from '@nestjs/common';
import type { Job } from 'bull';
import { runInJobContext } from '../common/app-logger';
import { reportError } from '../monitoring/error-reporting';
import { isPermanentJobError } from './job-errors';
import { validateJobPayload } from './job-payload';
import type { RegisteredProcessor } from './job-registry';
import { handlerName } from './queues';

/**
 * Runs one job through its processor: validate the payload again (it may have
 * been added by older code, or by hand), call the handler, classify a failure.
 * A permanent failure (PermanentJobError: bad payload, missing record) is
 * discarded, so Bull fails it without retrying; anything else is rethrown and
 * retried with backoff.
 */
export async function runJob(
  processor: Pick<RegisteredProcessor, 'job' | 'payload' | 'handle'>,
  job: Job,
  logger: Pick<LoggerService, 'warn'>,
): Promise<unknown> {
  const name = handlerName(processor.job);
  // Every log line (and error report) made while the job runs carries its id.
  const context = { jobId: String(job.id), queue: processor.job.queue, job: processor.job.name };
  return runInJobContext(context, async () => {
    try {
      const payload = validateJobPayload(processor.payload, job.data, name);
      return await processor.handle(payload, job);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const attempts = job.opts.attempts ?? 1;
      if (isPermanentJobError(error)) {
        void job.discard();
        logger.warn(`${name} job ${job.id} failed permanently: ${message}`);
      } else {
        logger.warn(
          `${name} job ${job.id} failed (attempt ${job.attemptsMade + 1} of ${attempts}): ${message}`,
        );
      }
      // Reported once, when the job has failed for good (not on an attempt that will be retried).
      if (isPermanentJobError(error) || job.attemptsMade + 1 >= attempts)
        reportError(error, { kind: 'job', tags: { attempts: job.attemptsMade + 1 } });
      throw error;
    }
  });
}

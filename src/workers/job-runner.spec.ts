import type { Job } from 'bull';
import { IsUUID } from 'class-validator';
import { MissingRecordError } from './job-errors';
import { runJob } from './job-runner';

class Payload {
  @IsUUID()
  tutorId: string;
}

const TUTOR = '6f1c2c1e-8d6f-4e8e-9d55-2d0f6a3b1c11';

function fakeJob(data: unknown) {
  const job = { id: '1', data, attemptsMade: 0, opts: { attempts: 5 }, discarded: false };
  return Object.assign(job, {
    discard: () => {
      job.discarded = true;
    },
  });
}

const logger = { warn: jest.fn() };
const processor = (handle: (p: Payload) => Promise<unknown>) => ({
  job: { queue: 'evaluation' as const, name: 'x' },
  payload: Payload,
  handle: handle as (p: unknown) => Promise<unknown>,
});

describe('runJob', () => {
  it('passes the validated payload to the handler and returns its result', async () => {
    const job = fakeJob({ tutorId: TUTOR });
    const result = await runJob(
      processor(async (p) => ({ got: p.tutorId, isDto: p instanceof Payload })),
      job as unknown as Job,
      logger,
    );
    expect(result).toEqual({ got: TUTOR, isDto: true });
  });

  it('discards (no retry) a job whose payload is invalid, without calling the handler', async () => {
    const handle = jest.fn();
    const job = fakeJob({ tutorId: 'nope', email: 'someone@example.com' });
    await expect(runJob(processor(handle), job as unknown as Job, logger)).rejects.toThrow(
      /invalid payload for evaluation.x: email is not a known field; tutorId must be a UUID/,
    );
    expect(handle).not.toHaveBeenCalled();
    expect(job.discarded).toBe(true);
  });

  it('discards a job whose record is missing', async () => {
    const job = fakeJob({ tutorId: TUTOR });
    await expect(
      runJob(
        processor(() => Promise.reject(new MissingRecordError('tutor', TUTOR))),
        job as unknown as Job,
        logger,
      ),
    ).rejects.toThrow(`no tutor with id ${TUTOR}`);
    expect(job.discarded).toBe(true);
  });

  it('rethrows anything else so Bull retries it', async () => {
    const job = fakeJob({ tutorId: TUTOR });
    await expect(
      runJob(
        processor(() => Promise.reject(new Error('connection reset'))),
        job as unknown as Job,
        logger,
      ),
    ).rejects.toThrow('connection reset');
    expect(job.discarded).toBe(false);
    expect(logger.warn).toHaveBeenLastCalledWith(
      'evaluation.x job 1 failed (attempt 1 of 5): connection reset',
    );
  });
});

/**
 * A job that can never succeed however often it is retried: a bad payload, a
 * record that does not exist. The processor wrapper discards the job (no
 * retry) and fails it, so it stays inspectable among the failed jobs.
 * Anything else a processor throws is transient and retried with backoff.
 */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The payload does not match the job's DTO. */
export class InvalidJobPayloadError extends PermanentJobError {
  constructor(
    readonly job: string,
    readonly problems: string[],
  ) {
    super(`invalid payload for ${job}: ${problems.join('; ')}`);
  }
}

/** The record a job refers to does not exist (deleted, or never committed). */
export class MissingRecordError extends PermanentJobError {
  constructor(kind: string, id: string) {
    super(`no ${kind} with id ${id}`);
  }
}

export const isPermanentJobError = (error: unknown): error is PermanentJobError =>
  error instanceof PermanentJobError;

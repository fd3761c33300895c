import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { flattenValidationErrors } from '../common/validation';
import { InvalidJobPayloadError } from './job-errors';

export type PayloadClass<T extends object = object> = new () => T;

/**
 * Validates a job payload with the same class-validator rules as an HTTP body.
 * Unknown fields are refused, so a payload carries exactly the ids its DTO
 * names (and never personal data that slipped in); with `strip`, unknown
 * fields are dropped instead (event fan-out: an event carries more ids than
 * each handler needs).
 */
export function validateJobPayload<T extends object>(
  cls: PayloadClass<T>,
  data: unknown,
  job: string,
  options: { strip?: boolean } = {},
): T {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new InvalidJobPayloadError(job, ['the payload must be an object']);
  }
  const instance = plainToInstance(cls, data);
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: !options.strip,
    forbidUnknownValues: false,
  });
  if (errors.length) {
    throw new InvalidJobPayloadError(
      job,
      flattenValidationErrors(errors).map((e) => e.message),
    );
  }
  return instance;
}

/** A payload as it is stored in Redis: plain JSON. */
export function toPlainPayload(instance: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(instance)) as Record<string, unknown>;
}

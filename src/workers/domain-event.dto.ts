import {
  IsISO8601,
  IsObject,
  IsUUID,
  Matches,
  ValidateBy,
  ValidationOptions,
} from 'class-validator';

/** `tutoring.session-recorded` style: lower-case words joined by dots and dashes. */
export const EVENT_TYPE = /^[a-z][a-z-]*(\.[a-z][a-z-]*)+$/;

/** An object whose values are ids, numbers, booleans or null: nothing nested. */
function IsFlatRecord(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isFlatRecord',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.values(value).every(
            (v) =>
              v === null ||
              typeof v === 'number' ||
              typeof v === 'boolean' ||
              (typeof v === 'string' && v.length <= 200),
          ),
        defaultMessage: () =>
          '$property must be a flat object of ids, numbers and booleans (no nesting)',
      },
    },
    options,
  );
}

/**
 * An outbox row as an event: what the relay checks before routing it to its
 * handlers (and the `domain-event` job of versions that queued it first).
 */
export class DomainEventJob {
  @IsUUID()
  eventId: string;

  @Matches(EVENT_TYPE, { message: 'type must look like tutoring.session-recorded' })
  type: string;

  /** When the event was stored (the outbox row's created_at). */
  @IsISO8601({ strict: true })
  occurredAt: string;

  @IsObject()
  @IsFlatRecord()
  payload: Record<string, string | number | boolean | null>;
}

/**
 * What every event handler receives: the event's identity plus the payload
 * fields its own DTO names (a handler DTO extends this class).
 */
export class EventJobPayload {
  @IsUUID()
  eventId: string;

  @Matches(EVENT_TYPE, { message: 'eventType must look like tutoring.session-recorded' })
  eventType: string;

  @IsISO8601({ strict: true })
  occurredAt: string;
}

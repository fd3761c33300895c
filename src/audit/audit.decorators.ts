import { SetMetadata } from '@nestjs/common';

export const AUDITED_KEY = 'tutormax:audited';
export const AUDIT_READ_KEY = 'tutormax:audit-read';
export const SKIP_AUDIT_KEY = 'tutormax:skip-audit';

export interface AuditedOptions {
  /** Resource type recorded (default: from the route path, e.g. /api/v1/tutors/:id → tutor). */
  resource?: string;
  /** Route parameter holding the resource id (default `id`). */
  idParam?: string;
  /** Action recorded instead of `http.<method>`. */
  action?: string;
}

/** Names what a mutating route (or a controller's routes) changes in the audit log. */
export const Audited = (options: AuditedOptions) => SetMetadata(AUDITED_KEY, options);

/**
 * Records every call of a GET route as a read of a data subject's records
 * (`<subject>_records.read`), e.g. `@AuditRead('student')` on reads of
 * students' education records. Combine with `@Audited` to name the resource.
 */
export const AuditRead = (subject: string) => SetMetadata(AUDIT_READ_KEY, subject);

/**
 * The route records its own audit rows with AuditService.record (sign-in,
 * logout, …), so the interceptor writes none for it.
 */
export const SkipAudit = () => SetMetadata(SKIP_AUDIT_KEY, true);

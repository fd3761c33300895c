import { ForbiddenException } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import type { Viewer } from './ferpa-policy';

/** The FERPA viewer facts of an authenticated caller. */
export function viewerOf(principal: Principal | undefined): Viewer {
  if (!principal) throw new ForbiddenException('Sign in to see education records');
  return principal.kind === 'user'
    ? {
        kind: 'user',
        userId: principal.id,
        roles: principal.roles,
        studentId: principal.studentId,
        tutorId: principal.tutorId,
      }
    : { kind: 'api-key', keyId: principal.id };
}

import { applyDecorators, SetMetadata } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiSecurity,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorBody } from '../common/error-body';
import type { Permission } from './permissions';

export const PUBLIC_KEY = 'tutormax:public';
export const PERMISSION_KEY = 'tutormax:permission';
export const PAGE_KEY = 'tutormax:page';

/** Opens a route to anyone. Rare: health checks, sign-in, password reset, feedback-token pages. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** The permission a caller needs; every non-public route must declare one. */
export const RequirePermission = (permission: Permission) =>
  applyDecorators(
    SetMetadata(PERMISSION_KEY, permission),
    ApiBearerAuth('bearer'),
    ApiSecurity('api-key'),
    ApiUnauthorizedResponse({ type: ErrorBody, description: 'No or unknown credentials' }),
    ApiForbiddenResponse({ type: ErrorBody, description: `Credentials lack ${permission}` }),
  );

/**
 * A server-rendered page for browsers: signed-out visitors are sent to the
 * sign-in page, errors render as pages, and form posts need the CSRF token.
 */
export const Page = () => SetMetadata(PAGE_KEY, true);

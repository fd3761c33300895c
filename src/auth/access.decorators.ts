import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorBody } from '../common/error-body';
import type { Permission } from './permissions';

export const PUBLIC_KEY = 'tutormax:public';
export const PERMISSION_KEY = 'tutormax:permission';

/** Opens a route to anyone. Rare: health checks, sign-in, feedback-token pages. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** The permission a caller needs; every non-public route must declare one. */
export const RequirePermission = (permission: Permission) =>
  applyDecorators(
    SetMetadata(PERMISSION_KEY, permission),
    ApiSecurity('api-key'),
    ApiUnauthorizedResponse({ type: ErrorBody, description: 'No or unknown credentials' }),
    ApiForbiddenResponse({ type: ErrorBody, description: `Credentials lack ${permission}` }),
  );

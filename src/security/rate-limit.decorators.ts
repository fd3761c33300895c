import { SetMetadata } from '@nestjs/common';

export const SIGN_IN_LIMIT_KEY = 'tutormax:rate-limit:sign-in';
export const RESET_LIMIT_KEY = 'tutormax:rate-limit:reset';

/** Sign-in: 5 attempts per minute per IP. */
export const SignInRateLimit = () => SetMetadata(SIGN_IN_LIMIT_KEY, true);

/** Password-reset requests: 3 per hour per IP. */
export const ResetRateLimit = () => SetMetadata(RESET_LIMIT_KEY, true);

import { Injectable } from '@nestjs/common';
import { doubleCsrf } from 'csrf-csrf';
import type { Request, Response } from 'express';
import { createHmac } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import type { AppRequest } from '../auth/principal';

/**
 * CSRF for cookie-authenticated browsers: signed double-submit tokens
 * (csrf-csrf) bound to the sign-in session, plus an Origin check. Bearer and
 * API-key requests carry no ambient credentials and are exempt.
 */
@Injectable()
export class CsrfService {
  private readonly csrf: ReturnType<typeof doubleCsrf>;
  private readonly allowedOrigins: Set<string>;

  constructor(private readonly config: AppConfig) {
    const secret = createHmac('sha256', config.JWT_SECRET).update('csrf').digest('hex');
    this.csrf = doubleCsrf({
      getSecret: () => secret,
      getSessionIdentifier: (req) => {
        const principal = (req as AppRequest).principal;
        return principal?.kind === 'user' ? principal.sessionId : '';
      },
      cookieName: config.isProduction ? '__Host-tm_csrf' : 'tm_csrf',
      cookieOptions: { sameSite: 'lax', secure: config.isProduction, path: '/', httpOnly: true },
      getCsrfTokenFromRequest: (req) => {
        const body = req.body as Record<string, unknown> | undefined;
        return (
          (typeof body?._csrf === 'string' ? body._csrf : undefined) ?? req.header('x-csrf-token')
        );
      },
    });
    this.allowedOrigins = new Set(config.PUBLIC_URL ? [new URL(config.PUBLIC_URL).origin] : []);
  }

  token(req: Request, res: Response): string {
    return this.csrf.generateCsrfToken(req, res, { overwrite: false, validateOnReuse: false });
  }

  /** The problem with an unsafe cookie-authenticated request, or undefined when it is fine. */
  problem(req: Request): string | undefined {
    const origin = req.header('origin') ?? refererOrigin(req.header('referer'));
    if (origin && origin !== 'null') {
      const own = `${req.protocol}://${req.get('host')}`;
      if (origin !== own && !this.allowedOrigins.has(origin))
        return `Cross-site request refused (origin ${origin})`;
    } else if (origin === 'null') {
      return 'Cross-site request refused (opaque origin)';
    }
    if (!this.csrf.validateRequest(req))
      return 'The form has expired or did not come from TutorMax; reload the page and try again';
    return undefined;
  }
}

function refererOrigin(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return 'null';
  }
}

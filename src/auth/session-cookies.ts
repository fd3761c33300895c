import { Injectable } from '@nestjs/common';
import type { CookieOptions, Request, Response } from 'express';
import { AppConfig } from '../config/app-config';
import { ACCESS_TOKEN_SECONDS, TokenPair } from './token.service';

const REFRESH_COOKIE_DAYS = 14;

/**
 * The browser session: an access token and a refresh token in httpOnly,
 * SameSite=Lax cookies; Secure with the __Host- prefix in production.
 */
@Injectable()
export class SessionCookies {
  readonly access: string;
  readonly refresh: string;
  private readonly base: CookieOptions;

  constructor(config: AppConfig) {
    const prefix = config.isProduction ? '__Host-' : '';
    this.access = `${prefix}tm_at`;
    this.refresh = `${prefix}tm_rt`;
    this.base = { httpOnly: true, sameSite: 'lax', secure: config.isProduction, path: '/' };
  }

  set(res: Response, pair: TokenPair): void {
    res.cookie(this.access, pair.accessToken, {
      ...this.base,
      maxAge: ACCESS_TOKEN_SECONDS * 1000,
    });
    res.cookie(this.refresh, pair.refreshToken, {
      ...this.base,
      maxAge: REFRESH_COOKIE_DAYS * 86_400_000,
    });
  }

  clear(res: Response): void {
    res.clearCookie(this.access, this.base);
    res.clearCookie(this.refresh, this.base);
  }

  read(req: Request): { access?: string; refresh?: string } {
    const cookies = (req.cookies ?? {}) as Record<string, string | undefined>;
    return { access: cookies[this.access], refresh: cookies[this.refresh] };
  }
}

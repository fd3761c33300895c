import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { CookieOptions, Response } from 'express';
import type Redis from 'ioredis';
import type { Strategy } from 'passport';
import { AUDIT_ACTIONS, outcomeOfStatus } from '../../audit/audit-actions';
import { AuditEntry, AuditService } from '../../audit/audit.service';
import { REDIS } from '../../common/redis.module';
import { AppConfig } from '../../config/app-config';
import { Pages, safeNext } from '../../web/pages.service';
import { AuthService } from '../auth.service';
import type { AppRequest } from '../principal';
import { SessionCookies } from '../session-cookies';
import { runStrategy, StrategyOutcome } from './run-strategy';
import { SsoAccountsService } from './sso-accounts.service';
import { ssoProblemPage } from './sso-problems';
import {
  PROVIDER_LABELS,
  SsoFailureInfo,
  SsoProblem,
  SsoProfile,
  SsoProvider,
} from './sso-profile';
import {
  isHandle,
  randomHandle,
  RedisSsoStateStore,
  sha256,
  SSO_STATE_TTL_SECONDS,
  SsoStateUnavailableError,
  SsoVerifiedState,
} from './sso-state.store';
import { googleStrategy, microsoftStrategy } from './sso-strategies';

/**
 * Google and Microsoft sign-in for browsers: starts the authorization-code
 * flow (PKCE, state in Redis bound to this browser) and finishes it by
 * opening a browser session exactly as the password form does. Every outcome
 * is a page; a state, provider or claims problem is never a 500.
 */
@Injectable()
export class SsoService implements OnModuleInit {
  private readonly logger = new Logger('Sso');
  private readonly strategies = new Map<SsoProvider, Strategy>();
  private readonly browserCookie: string;
  private readonly browserCookieOptions: CookieOptions;

  constructor(
    @Inject(REDIS) redis: Redis,
    private readonly config: AppConfig,
    private readonly accounts: SsoAccountsService,
    private readonly auth: AuthService,
    private readonly cookies: SessionCookies,
    private readonly pages: Pages,
    private readonly audit: AuditService,
  ) {
    this.browserCookie = config.isProduction ? '__Host-tm_sso' : 'tm_sso';
    this.browserCookieOptions = {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.isProduction,
      path: '/',
      maxAge: SSO_STATE_TTL_SECONDS * 1000,
    };
    const base = (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, '');
    const store = (provider: SsoProvider) =>
      new RedisSsoStateStore(redis, config.QUEUE_PREFIX, provider, this.browserCookie);
    if (config.GOOGLE_CLIENT_ID && config.GOOGLE_CLIENT_SECRET) {
      this.strategies.set(
        'google',
        googleStrategy({
          clientId: config.GOOGLE_CLIENT_ID,
          clientSecret: config.GOOGLE_CLIENT_SECRET,
          callbackUrl: `${base}/auth/google/callback`,
          authorizationUrl: config.GOOGLE_AUTHORIZATION_URL,
          tokenUrl: config.GOOGLE_TOKEN_URL,
          userInfoUrl: config.GOOGLE_USERINFO_URL,
          store: store('google'),
        }),
      );
    }
    if (config.MICROSOFT_CLIENT_ID && config.MICROSOFT_CLIENT_SECRET) {
      this.strategies.set(
        'microsoft',
        microsoftStrategy({
          clientId: config.MICROSOFT_CLIENT_ID,
          clientSecret: config.MICROSOFT_CLIENT_SECRET,
          callbackUrl: `${base}/auth/microsoft/callback`,
          authorizationUrl: config.MICROSOFT_AUTHORIZATION_URL,
          tokenUrl: config.MICROSOFT_TOKEN_URL,
          store: store('microsoft'),
        }),
      );
    }
  }

  onModuleInit(): void {
    if (this.strategies.has('microsoft') && this.config.MICROSOFT_TENANTS.length === 0) {
      this.logger.warn(
        'MICROSOFT_CLIENT_ID is set but MICROSOFT_TENANTS is empty: every Microsoft sign-in will be refused',
      );
    }
  }

  /** GET /auth/<provider>: off to the provider with a fresh state and PKCE challenge. */
  async start(provider: SsoProvider, req: AppRequest, res: Response): Promise<void> {
    const strategy = this.strategies.get(provider);
    if (!strategy) return this.refuse(req, res, provider, 'not_configured');
    const browserKey = this.bindBrowser(req, res);
    const outcome = await runStrategy(strategy, req, {
      state: { next: safeNext(req.query.next), browser: sha256(browserKey) },
      prompt: 'select_account',
    });
    if (outcome.kind === 'redirect') {
      res.setHeader('Cache-Control', 'no-store');
      return res.redirect(302, outcome.url);
    }
    this.logger.error(`could not start the ${provider} sign-in: ${describe(outcome)}`);
    return this.refuse(req, res, provider, 'unavailable');
  }

  /** GET /auth/<provider>/callback: check the state, exchange the code, sign the person in. */
  async callback(provider: SsoProvider, req: AppRequest, res: Response): Promise<void> {
    const strategy = this.strategies.get(provider);
    if (!strategy) return this.refuse(req, res, provider, 'not_configured');
    const { code, error } = req.query;
    // Without either, passport would quietly start a new sign-in instead of finishing one.
    if (typeof code !== 'string' && typeof error !== 'string')
      return this.refuse(req, res, provider, 'incomplete', { record: true });

    const outcome = await runStrategy(strategy, req, {});
    if (outcome.kind === 'success') {
      const state = (outcome.info as { state?: SsoVerifiedState } | undefined)?.state;
      return this.signIn(outcome.user as SsoProfile, state?.next, req, res);
    }
    const problem = problemOf(outcome);
    if (problem === 'provider_error' || problem === 'unavailable')
      this.logger.warn(`${provider} sign-in failed: ${describe(outcome)}`);
    return this.refuse(req, res, provider, problem, { record: true });
  }

  private async signIn(
    profile: SsoProfile,
    next: string | undefined,
    req: AppRequest,
    res: Response,
  ): Promise<void> {
    const context = this.audit.contextOf(req);
    const decision = await this.accounts.resolve(profile, context);
    if (!decision.ok) {
      return this.refuse(req, res, profile.provider, decision.problem, {
        record: true,
        email: profile.email,
        userId: decision.userId,
      });
    }
    const { tokens } = await this.auth.openSession(decision.user, 'browser');
    this.cookies.set(res, tokens);
    await this.record({
      ...context,
      actor: { type: 'user', id: decision.user.id },
      action: AUDIT_ACTIONS.ssoSignIn,
      outcome: 'success',
      resourceType: 'user',
      resourceId: decision.user.id,
      details: {
        provider: profile.provider,
        how: decision.how,
        channel: 'browser',
        method: 'sso',
        sessionId: tokens.familyId,
      },
    });
    res.redirect(303, safeNext(next));
  }

  private async refuse(
    req: AppRequest,
    res: Response,
    provider: SsoProvider,
    problem: SsoProblem,
    options: { record?: boolean; email?: string | null; userId?: string } = {},
  ): Promise<void> {
    const label = PROVIDER_LABELS[provider];
    const page = ssoProblemPage(problem, label, options.email ?? null);
    if (options.record) {
      await this.record({
        ...this.audit.contextOf(req),
        action: AUDIT_ACTIONS.ssoSignIn,
        outcome: outcomeOfStatus(page.status),
        resourceType: options.userId ? 'user' : null,
        resourceId: options.userId ?? null,
        details: { provider, problem },
      });
    }
    this.pages.send(
      req,
      res,
      'sso-error',
      { heading: page.heading, message: page.message },
      { title: page.heading, status: page.status },
    );
  }

  /** Sign-in events are audited; a failed audit write is logged, the person's answer stands. */
  private async record(entry: AuditEntry): Promise<void> {
    try {
      await this.audit.record(entry);
    } catch (error) {
      this.logger.error(`could not audit ${entry.action}: ${(error as Error).message}`);
    }
  }

  /**
   * A random key in an httpOnly cookie, kept for the state's lifetime; its hash
   * travels in the state, so the callback only works in this browser.
   * Reused while valid, so two tabs signing in at once do not trip each other.
   */
  private bindBrowser(req: AppRequest, res: Response): string {
    const current = (req.cookies as Record<string, unknown> | undefined)?.[this.browserCookie];
    const key = isHandle(current) ? current : randomHandle();
    res.cookie(this.browserCookie, key, this.browserCookieOptions);
    return key;
  }
}

function problemOf(outcome: Exclude<StrategyOutcome, { kind: 'success' }>): SsoProblem {
  switch (outcome.kind) {
    case 'fail': {
      const info = outcome.challenge as Partial<SsoFailureInfo> | undefined;
      // passport-oauth2 fails with the provider's error_description on ?error=access_denied.
      return info?.problem ?? 'cancelled';
    }
    case 'error':
      // Our state store failing is ours to own (503); anything else came from the provider's answers.
      return outcome.error instanceof SsoStateUnavailableError ? 'unavailable' : 'provider_error';
    default:
      return 'incomplete';
  }
}

/** For the log: what went wrong, never tokens or codes. */
function describe(outcome: StrategyOutcome): string {
  switch (outcome.kind) {
    case 'error':
      return `${outcome.error.name}: ${outcome.error.message}`;
    case 'fail': {
      const info = outcome.challenge as Partial<SsoFailureInfo> | undefined;
      return `${info?.problem ?? 'refused'}${info?.message ? ` (${info.message})` : ''}`;
    }
    default:
      return outcome.kind;
  }
}

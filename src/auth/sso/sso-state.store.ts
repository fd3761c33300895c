import type { Request } from 'express';
import type Redis from 'ioredis';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SsoFailureInfo, SsoProvider } from './sso-profile';

/** How long a started sign-in may take before its state is forgotten. */
export const SSO_STATE_TTL_SECONDS = 600;

/** What the controller hands the strategy when a sign-in starts (passport's `state` option). */
export interface SsoStartState {
  /** The same-site path to land on afterwards, already passed through safeNext. */
  next: string;
  /** SHA-256 of the browser-binding cookie's value. */
  browser: string;
}

/** What comes back to the strategy, and on to the controller, when the state checks out. */
export interface SsoVerifiedState {
  next: string;
}

interface StoredState {
  provider: SsoProvider;
  verifier: string;
  next: string;
  browser: string;
}

const HANDLE = /^[A-Za-z0-9_-]{43}$/;

/** Redis could not keep or give back a state: the sign-in cannot go on right now. */
export class SsoStateUnavailableError extends Error {
  override readonly name = 'SsoStateUnavailableError';
}

const unavailable = (error: Error) => new SsoStateUnavailableError(error.message);

export const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

/** A fresh random value for the browser-binding cookie and for state handles (256 bits). */
export const randomHandle = () => randomBytes(32).toString('base64url');

export const isHandle = (value: unknown): value is string =>
  typeof value === 'string' && HANDLE.test(value);

/**
 * passport-oauth2's state store, in Redis instead of a session: `store` keeps
 * the PKCE verifier, the return path and the browser binding under a random
 * handle for 10 minutes; `verify` takes them out with GETDEL, so a state works
 * once, and only in the browser that started the sign-in (its cookie must
 * hash to the stored binding), which stops an attacker from planting their
 * own half-finished sign-in in someone else's browser.
 *
 * Method arities matter: passport-oauth2 calls `store(req, verifier, state,
 * meta, cb)` when it has five parameters and `verify(req, state, cb)` when it
 * has three (see node_modules/passport-oauth2/lib/state/pkcesession.js).
 */
export class RedisSsoStateStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly provider: SsoProvider,
    private readonly browserCookie: string,
  ) {}

  store(
    _req: Request,
    verifier: string,
    state: SsoStartState,
    _meta: unknown,
    callback: (error: Error | null, handle?: string) => void,
  ): void {
    const handle = randomHandle();
    const value: StoredState = {
      provider: this.provider,
      verifier,
      next: state.next,
      browser: state.browser,
    };
    this.redis.set(this.key(handle), JSON.stringify(value), 'EX', SSO_STATE_TTL_SECONDS).then(
      () => callback(null, handle),
      (error: Error) => callback(unavailable(error)),
    );
  }

  verify(
    req: Request,
    providedState: unknown,
    callback: (
      error: Error | null,
      verifier?: string | false,
      state?: SsoVerifiedState | SsoFailureInfo,
    ) => void,
  ): void {
    if (!isHandle(providedState)) {
      callback(null, false, { problem: 'state_unknown' });
      return;
    }
    this.redis.getdel(this.key(providedState)).then(
      (raw) => {
        const stored = parse(raw);
        if (!stored || stored.provider !== this.provider) {
          callback(null, false, { problem: 'state_unknown' });
          return;
        }
        const cookies = (req.cookies ?? {}) as Record<string, unknown>;
        const cookie = cookies[this.browserCookie];
        if (!isHandle(cookie) || !sameText(sha256(cookie), stored.browser)) {
          callback(null, false, { problem: 'state_browser' });
          return;
        }
        callback(null, stored.verifier, { next: stored.next });
      },
      (error: Error) => callback(unavailable(error)),
    );
  }

  /** The handle itself never appears in Redis, only its hash. */
  private key(handle: string): string {
    return `${this.keyPrefix}:sso:state:${sha256(handle)}`;
  }
}

function parse(raw: string | null): StoredState | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<StoredState>;
    return typeof value.verifier === 'string' &&
      typeof value.next === 'string' &&
      typeof value.browser === 'string'
      ? (value as StoredState)
      : undefined;
  } catch {
    return undefined;
  }
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

import type { Request } from 'express';
import type { Strategy } from 'passport';

/** How one pass of a passport strategy ended. */
export type StrategyOutcome =
  | { kind: 'redirect'; url: string }
  | { kind: 'success'; user: unknown; info: unknown }
  | { kind: 'fail'; challenge: unknown; status?: number }
  | { kind: 'error'; error: Error }
  | { kind: 'pass' };

interface StrategyActions {
  success(user: unknown, info?: unknown): void;
  fail(challenge?: unknown, status?: number): void;
  redirect(url: string, status?: number): void;
  error(error: Error): void;
  pass(): void;
}

/**
 * Runs a passport strategy once on a request and reports how it ended, instead
 * of letting passport write the response. This is what `passport.authenticate`
 * does internally (the strategy's actions are bound on a per-request
 * `Object.create(strategy)`), without the global passport instance, sessions
 * or `req.login`, so the controller decides every answer itself.
 */
export function runStrategy(
  strategy: Strategy,
  req: Request,
  options: Record<string, unknown>,
): Promise<StrategyOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: StrategyOutcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const attempt = Object.create(strategy) as StrategyActions & {
      authenticate(req: Request, options: Record<string, unknown>): void;
    };
    attempt.success = (user, info) => settle({ kind: 'success', user, info });
    attempt.fail = (challenge, status) =>
      settle(
        typeof challenge === 'number'
          ? { kind: 'fail', challenge: undefined, status: challenge }
          : { kind: 'fail', challenge, status },
      );
    attempt.redirect = (url) => settle({ kind: 'redirect', url });
    attempt.error = (error) =>
      settle({ kind: 'error', error: error instanceof Error ? error : new Error(String(error)) });
    attempt.pass = () => settle({ kind: 'pass' });
    try {
      attempt.authenticate(req, options);
    } catch (error) {
      attempt.error(error as Error);
    }
  });
}

import { createBullBoard } from '@bull-board/api';
import type { IServerAdapter } from '@bull-board/api/typings/app';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { HttpException, INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { AppRequest } from '../auth/principal';
import { RequestAuthenticator } from '../auth/request-authenticator';
import { toErrorBody } from '../common/http-exception.filter';
import { AppConfig } from '../config/app-config';
import { QueueRegistry } from './queue-registry';

export const BULL_BOARD_PATH = '/admin/queues';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

function refuse(res: Response, status: number, message: string): void {
  const body = toErrorBody(new HttpException(message, status));
  res.status(body.statusCode).json(body);
}

/**
 * The gate in front of Bull Board: the same sign-in as the app (cookie,
 * Bearer), the system.operate permission, and for state-changing requests
 * (retry, clean, promote, remove) from a cookie session an Origin (or Referer)
 * that is the app's own. Bull Board's UI posts JSON with fetch and cannot
 * carry our CSRF token, so the defence is: admin-only + same-origin check +
 * SameSite=Lax session cookies (not sent on cross-site PUT/POST). Bearer
 * callers carry no ambient credentials and need no origin.
 */
export function bullBoardGate(authenticator: RequestAuthenticator, config: AppConfig) {
  const allowed = new Set(config.PUBLIC_URL ? [new URL(config.PUBLIC_URL).origin] : []);
  return (req: Request, res: Response, next: NextFunction) => {
    authenticator
      .identify(req as AppRequest, res)
      .then(({ principal, problem }) => {
        if (!principal) {
          if (req.method === 'GET' && req.accepts(['json', 'html']) === 'html')
            return res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
          return refuse(res, 401, problem ?? 'Sign in to see the queues');
        }
        if (!principal.permissions.has('system.operate'))
          return refuse(res, 403, 'You do not have the system.operate permission');
        if (!SAFE.has(req.method) && principal.kind === 'user' && principal.via === 'cookie') {
          const origin = req.header('origin') ?? refererOrigin(req.header('referer'));
          const own = `${req.protocol}://${req.get('host')}`;
          if (!origin || (origin !== own && !allowed.has(origin)))
            return refuse(res, 403, `Cross-site request refused (origin ${origin ?? 'missing'})`);
        }
        (req as AppRequest).principal = principal;
        next();
      })
      .catch(next);
  };
}

function refererOrigin(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}

/** Mounts Bull Board at /admin/queues behind the gate. */
export function mountBullBoard(app: INestApplication, config: AppConfig): void {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: app
      .get(QueueRegistry)
      .all()
      .map((q) => new BullAdapter(q)),
    // @bull-board/express 9.10.1 ships its own @bull-board/api 9.10.1 (we use 9.10.2): same shape.
    serverAdapter: serverAdapter as unknown as IServerAdapter,
    options: { uiConfig: { boardTitle: 'TutorMax queues' } },
  });
  app.use(
    BULL_BOARD_PATH,
    bullBoardGate(app.get(RequestAuthenticator), config),
    serverAdapter.getRouter(),
  );
}

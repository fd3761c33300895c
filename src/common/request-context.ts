import { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, Response } from 'express';

const storage = new AsyncLocalStorage<Request>();

/**
 * Keeps the current request reachable from services (for the audit log's
 * actor, request id and client address) without threading it through every
 * call. Outside a request (jobs, boot) there is none.
 */
export function requestContext(req: Request, _res: Response, next: NextFunction): void {
  storage.run(req, next);
}

export function currentRequest(): Request | undefined {
  return storage.getStore();
}

import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** Requests that are not people using the app: probes, scrapes, static files, the queue board. */
export const BACKGROUND_PATH = /^\/(health\/|metrics|static\/|admin\/queues|favicon)/;

/** After the last request ends, the app counts as in use for this long (ms). */
export const WEB_QUIET_MS = 250;

/**
 * Whether people are using the app right now: a request in flight, or one that ended
 * less than WEB_QUIET_MS ago. Load-balancer probes, metric scrapes and static files do
 * not count. The job slots read it to give the web priority (see JobSlots).
 */
@Injectable()
export class WebActivity {
  private inFlight = 0;
  private lastEnded = 0;

  busy(now = Date.now()): boolean {
    return this.inFlight > 0 || now - this.lastEnded < WEB_QUIET_MS;
  }

  middleware() {
    return (req: Request, res: Response, next: NextFunction) => {
      if (BACKGROUND_PATH.test(req.originalUrl ?? req.url)) return next();
      this.inFlight++;
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        this.inFlight--;
        this.lastEnded = Date.now();
      };
      res.once('finish', end);
      res.once('close', end);
      next();
    };
  }
}

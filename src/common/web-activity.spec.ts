import { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import { WEB_QUIET_MS, WebActivity } from './web-activity';

/** A request through the middleware; returns the response to end it with. */
function request(activity: WebActivity, url: string): EventEmitter {
  const res = new EventEmitter();
  let passed = false;
  activity.middleware()({ url, originalUrl: url } as Request, res as unknown as Response, () => {
    passed = true;
  });
  expect(passed).toBe(true);
  return res;
}

describe('WebActivity', () => {
  it('is busy while a page or API request is in flight and for a moment after it ends', () => {
    const activity = new WebActivity();
    const t0 = Date.now();
    expect(activity.busy(t0)).toBe(false);
    const page = request(activity, '/interventions?priority=high');
    const api = request(activity, '/api/v1/tutors');
    expect(activity.busy(t0 + 10_000)).toBe(true);
    page.emit('finish');
    page.emit('close'); // both events fire for one response: counted once
    expect(activity.busy(t0 + 10_000)).toBe(true);
    api.emit('close'); // a client that went away ends its request too
    const ended = Date.now();
    expect(activity.busy(ended + WEB_QUIET_MS - 50)).toBe(true);
    expect(activity.busy(ended + WEB_QUIET_MS + 1)).toBe(false);
  });

  it('does not count load-balancer probes, metric scrapes or static files', () => {
    const activity = new WebActivity();
    for (const url of ['/health/ready', '/health/live', '/metrics', '/static/app.css'])
      request(activity, url);
    expect(activity.busy()).toBe(false);
  });
});

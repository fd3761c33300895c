import { Agent, request } from 'node:http';

/** One kind of request's outcomes: latencies of the expected status, and everything else. */
export interface Timings {
  samples: number[];
  errors: string[];
}

export const noTimings = (): Timings => ({ samples: [], errors: [] });

/** What a timed request sends. */
export interface TimedInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * Keep-alive connections, like a browser's or a load balancer's. node:http
 * rather than fetch: on this machine the clients share the two cores with the
 * app, and fetch (undici) cost about 3 ms of CPU per request, taken from the
 * app under test and showing up as client-side event-loop delay in every timing.
 */
const agent = new Agent({ keepAlive: true });

/**
 * Times one request to its last byte (redirects are not followed). The
 * expected status adds its latency to `timings.samples`; any other status, or
 * a failure, adds a line to `errors`.
 */
export async function timedRequest(
  timings: Timings,
  url: string,
  init: TimedInit = {},
  expect = 200,
): Promise<void> {
  const { pathname, search } = new URL(url);
  const started = performance.now();
  try {
    const status = await send(url, init);
    const ms = performance.now() - started;
    if (status === expect) timings.samples.push(ms);
    else timings.errors.push(`${status} ${pathname}${search}`);
  } catch (error) {
    timings.errors.push(`${(error as Error).message} ${pathname}${search}`);
  }
}

/** Sends one request and reads the whole response; resolves to its status. */
function send(url: string, { method = 'GET', headers = {}, body }: TimedInit): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers:
          body === undefined ? headers : { ...headers, 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** One kind of request's outcomes: latencies of the expected status, and everything else. */
export interface Timings {
  samples: number[];
  errors: string[];
}

export const noTimings = (): Timings => ({ samples: [], errors: [] });

/**
 * Times one request to its last byte. The expected status adds its latency to
 * `timings.samples`; any other status, or a failure, adds a line to `errors`.
 */
export async function timedRequest(
  timings: Timings,
  url: string,
  init: RequestInit = {},
  expect = 200,
): Promise<void> {
  const { pathname, search } = new URL(url);
  const started = performance.now();
  try {
    const res = await fetch(url, { ...init, redirect: 'manual' });
    await res.arrayBuffer();
    const ms = performance.now() - started;
    if (res.status === expect) timings.samples.push(ms);
    else timings.errors.push(`${res.status} ${pathname}${search}`);
  } catch (error) {
    timings.errors.push(`${(error as Error).message} ${pathname}${search}`);
  }
}

/**
 * bench:load's load-balancer probes, run on a worker thread (see
 * `probesOnOwnThread` in bench/load.ts): `probes` closed loops on
 * /health/ready, each pausing `thinkMs`, probe i starting `firstStepMs + i *
 * spacingMs` in, until `end`. Posts its Timings back when done.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { noTimings, timedRequest } from './timed-request';

export interface ProbePlan {
  base: string;
  probes: number;
  thinkMs: number;
  end: number;
  firstStepMs: number;
  spacingMs: number;
}

const plan = workerData as ProbePlan;
const timings = noTimings();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function probe(i: number): Promise<void> {
  const headers = { 'X-Forwarded-For': `198.18.${90 + i}.1` };
  await sleep(plan.firstStepMs + i * plan.spacingMs);
  while (Date.now() < plan.end) {
    await timedRequest(timings, `${plan.base}/health/ready`, { headers });
    await sleep(plan.thinkMs);
  }
}

void Promise.all(Array.from({ length: plan.probes }, (_, i) => probe(i))).then(() =>
  parentPort!.postMessage(timings),
);

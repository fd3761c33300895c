/**
 * The training child process: reads the data straight from PostgreSQL, fits the models and
 * sends the candidates to its parent over IPC. It runs with a capped heap (see
 * TrainingService), so a large training set fails this process, never the web process.
 * The parent sends its options in the first IPC message (never in argv or the environment,
 * where a password would show in the process list).
 */
import { Client } from 'pg';
import {
  loadChurnDataset,
  trainChurnModels,
  trainFirstSessionModel,
  type Query,
} from './training-pipeline';

export interface TrainingChildOptions {
  databaseUrl: string;
  horizon: string;
  lookbackDays: number;
}

export type ChildMessage =
  | { type: 'progress'; stage: string; percent: number }
  | { type: 'result'; candidates: unknown[]; peakRssMb: number; ms: number }
  | { type: 'error'; message: string };

async function main(start: TrainingChildOptions) {
  const send = (m: ChildMessage) =>
    new Promise<void>((resolve) => (process.send ? process.send(m, () => resolve()) : resolve()));
  let peak = process.memoryUsage().rss;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  const started = Date.now();
  const client = new Client({ connectionString: start.databaseUrl });
  await client.connect();
  try {
    const q: Query = async (sql, params) => (await client.query(sql, params)).rows;
    const options = {
      horizon: start.horizon,
      lookbackDays: start.lookbackDays,
      progress: (stage: string, percent: number) => send({ type: 'progress', stage, percent }),
    };
    await send({ type: 'progress', stage: 'Labelling churn from the data', percent: 2 });
    const dataset = await loadChurnDataset(q, options);
    await send({ type: 'progress', stage: 'Fitting the churn models', percent: 55 });
    const churn = trainChurnModels(dataset);
    dataset.features.length = 0;
    await send({ type: 'progress', stage: 'Fitting the first-session model', percent: 75 });
    const first = await trainFirstSessionModel(q, options);
    peak = Math.max(peak, process.memoryUsage().rss);
    await send({
      type: 'result',
      candidates: [...churn, first],
      peakRssMb: Math.round(peak / 1e5) / 10,
      ms: Date.now() - started,
    });
  } finally {
    clearInterval(sample);
    await client.end();
  }
}

process.once('message', (start: TrainingChildOptions) => {
  main(start).then(
    () => process.exit(0),
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (process.send) {
        process.send({ type: 'error', message } satisfies ChildMessage, () => process.exit(1));
      } else process.exit(1);
    },
  );
});

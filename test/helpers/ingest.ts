import request from 'supertest';
import { TEST_API_KEY } from './test-app';

type Http = Parameters<typeof request>[0];

export interface ItemResult {
  index: number;
  externalId?: string;
  status: string;
  id?: string;
  errors?: unknown[];
}

/** POSTs one ingestion batch and returns the per-item results; every item must be accepted. */
export async function ingest(
  http: Http,
  kind: 'tutors' | 'students' | 'sessions' | 'feedback' | 'tutor-events',
  items: object[],
): Promise<ItemResult[]> {
  const res = await request(http)
    .post(`/api/v1/${kind}`)
    .set('X-API-Key', TEST_API_KEY)
    .send({ items })
    .expect(200);
  const results = res.body.results as ItemResult[];
  const rejected = results.filter((r) => r.status === 'rejected');
  if (rejected.length) throw new Error(`rejected ${kind}: ${JSON.stringify(rejected.slice(0, 3))}`);
  return results;
}

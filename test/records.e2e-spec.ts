import request from 'supertest';
import {
  completedSession,
  daysFromNow,
  feedbackItem,
  iso,
  studentItem,
  tutorItem,
} from './helpers/fixtures';
import { startTestApp, TEST_API_KEY, TestApp } from './helpers/test-app';

describe('tutoring records: reads, pagination, errors', () => {
  let t: TestApp;
  const get = (path: string) => request(t.http).get(path).set('X-API-Key', TEST_API_KEY);
  const post = (path: string, body: unknown) =>
    request(t.http)
      .post(`/api/v1/${path}`)
      .set('X-API-Key', TEST_API_KEY)
      .send(body as object);
  let tutorIds: string[];
  const tutors = Array.from({ length: 5 }, (_, i) =>
    tutorItem({ externalId: `tutor-${i}`, status: i === 4 ? 'inactive' : 'active' }),
  );
  const student = studentItem();

  beforeAll(async () => {
    t = await startTestApp();
    const res = await post('tutors', { items: tutors }).expect(200);
    tutorIds = res.body.results.map((r: { id: string }) => r.id);
    await post('students', { items: [student] }).expect(200);
    // 7 sessions for tutor-0 on distinct days, 2 for tutor-1
    const sessions = [
      ...Array.from({ length: 7 }, (_, d) =>
        completedSession('tutor-0', student.externalId, {
          externalId: `sess-0-${d}`,
          scheduledStart: iso(daysFromNow(-1 - d)),
          actualStart: iso(daysFromNow(-1 - d)),
        }),
      ),
      completedSession('tutor-1', student.externalId, { externalId: 'sess-1-a' }),
      {
        ...completedSession('tutor-1', student.externalId, { externalId: 'sess-1-b' }),
        status: 'no_show',
        actualStart: undefined,
        engagementScore: undefined,
        learningObjectivesMet: undefined,
        lateStartMinutes: undefined,
      },
    ];
    await post('sessions', { items: sessions }).expect(200);
    const justNow = iso(new Date(Date.now() - 60_000));
    const fb = await post('feedback', {
      items: [
        feedbackItem('sess-0-0', { submittedAt: justNow }),
        feedbackItem('sess-0-1', { submittedAt: justNow }),
      ],
    }).expect(200);
    expect(fb.body.summary.created).toBe(2);
  });
  afterAll(() => t.close());

  it('lists tutors by externalId with a cursor that walks every page exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: request.Response = await get(
        `/api/v1/tutors?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      ).expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((x: { externalId: string }) => x.externalId));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(['tutor-0', 'tutor-1', 'tutor-2', 'tutor-3', 'tutor-4']);
  });

  it('filters tutors by status', async () => {
    const res = await get('/api/v1/tutors?status=inactive').expect(200);
    expect(res.body).toEqual({
      items: [expect.objectContaining({ externalId: 'tutor-4', status: 'inactive' })],
      nextCursor: null,
    });
  });

  it('pages sessions newest first for one tutor, within a time range', async () => {
    const first = await get(`/api/v1/sessions?tutorId=${tutorIds[0]}&limit=3`).expect(200);
    expect(first.body.items.map((s: { externalId: string }) => s.externalId)).toEqual([
      'sess-0-0',
      'sess-0-1',
      'sess-0-2',
    ]);
    const second = await get(
      `/api/v1/sessions?tutorId=${tutorIds[0]}&limit=3&cursor=${first.body.nextCursor}`,
    ).expect(200);
    expect(second.body.items.map((s: { externalId: string }) => s.externalId)).toEqual([
      'sess-0-3',
      'sess-0-4',
      'sess-0-5',
    ]);

    const from = iso(daysFromNow(-3, 0));
    const ranged = await get(`/api/v1/sessions?tutorId=${tutorIds[0]}&from=${from}`).expect(200);
    expect(ranged.body.items.map((s: { externalId: string }) => s.externalId)).toEqual([
      'sess-0-0',
      'sess-0-1',
      'sess-0-2',
    ]);
    expect(ranged.body.nextCursor).toBeNull();

    const noShows = await get(`/api/v1/sessions?status=no_show`).expect(200);
    expect(noShows.body.items).toHaveLength(1);
    expect(noShows.body.items[0]).toMatchObject({
      externalId: 'sess-1-b',
      status: 'no_show',
      actualStart: null,
      sessionNumber: expect.any(Number),
    });
  });

  it('lists feedback for a tutor and fetches records by id', async () => {
    const res = await get(`/api/v1/feedback?tutorId=${tutorIds[0]}`).expect(200);
    expect(res.body.items).toHaveLength(2);
    const one = await get(`/api/v1/tutors/${tutorIds[2]}`).expect(200);
    expect(one.body).toMatchObject({
      id: tutorIds[2],
      externalId: 'tutor-2',
      subjects: ['Algebra', 'Geometry'],
    });
  });

  it('answers bad query parameters with 400 naming each problem', async () => {
    const res = await get('/api/v1/sessions?limit=0&tutorId=abc&colour=blue').expect(400);
    expect(res.body.statusCode).toBe(400);
    const fields = res.body.details.map((d: { field: string }) => d.field).sort();
    expect(fields).toEqual(['colour', 'limit', 'tutorId']);
    expect(res.body.message).toMatch(/limit must not be less than 1/);
    expect((await get('/api/v1/sessions?cursor=garbage').expect(400)).body.message).toMatch(
      /cursor is not valid/,
    );
    expect(
      (
        await get(`/api/v1/sessions?from=${iso(daysFromNow(0))}&to=${iso(daysFromNow(-1))}`).expect(
          400,
        )
      ).body.message,
    ).toBe('from must be earlier than to');
  });

  it('answers 400 for a malformed id and 404 for an unknown one', async () => {
    expect((await get('/api/v1/tutors/not-a-uuid').expect(400)).body.message).toMatch(/uuid/i);
    const res = await get('/api/v1/tutors/00000000-0000-4000-8000-000000000000').expect(404);
    expect(res.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'No tutor with id 00000000-0000-4000-8000-000000000000',
    });
  });

  it('answers an unknown route with 404 in the common error shape', async () => {
    const res = await get('/api/v1/nothing-here').expect(404);
    expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it('rolls back a whole batch when storing fails part-way: nothing half-written', async () => {
    await t.dataSource.query(`
      CREATE FUNCTION fail_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'simulated outage'; END $$;
      CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox_events FOR EACH ROW EXECUTE FUNCTION fail_outbox();`);
    try {
      const before = await t.dataSource.query('SELECT count(*)::int AS n FROM sessions');
      const res = await post('sessions', {
        items: [
          completedSession('tutor-2', student.externalId),
          completedSession('tutor-3', student.externalId),
        ],
      }).expect(500);
      expect(res.body).toEqual({
        statusCode: 500,
        error: 'Internal Server Error',
        message: 'Something went wrong on our side; it has been logged.',
      });
      const after = await t.dataSource.query('SELECT count(*)::int AS n FROM sessions');
      expect(after[0].n).toBe(before[0].n);
    } finally {
      await t.dataSource.query(
        'DROP TRIGGER fail_outbox ON outbox_events; DROP FUNCTION fail_outbox();',
      );
    }
  });

  it('serves the OpenAPI document generated from the DTOs', async () => {
    const res = await request(t.http).get('/api/docs-json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/tutors',
        '/api/v1/sessions',
        '/api/v1/feedback',
        '/api/v1/tutor-events',
        '/health/ready',
      ]),
    );
    expect(res.body.components.securitySchemes['api-key']).toMatchObject({
      type: 'apiKey',
      name: 'X-API-Key',
    });
    expect(res.body.components.schemas.SessionItem).toBeDefined();
  });
});

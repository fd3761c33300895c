import request from 'supertest';
import { FieldCipher } from '../src/security/field-cipher';
import { WITHHELD_STUDENT_NAME } from '../src/tutoring/personal-data';
import {
  completedSession,
  daysFromNow,
  feedbackItem,
  iso,
  studentItem,
  tutorItem,
} from './helpers/fixtures';
import { startTestApp, TEST_API_KEY, TestApp } from './helpers/test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('ingestion API', () => {
  let t: TestApp;
  const post = (path: string, body: unknown) =>
    request(t.http)
      .post(`/api/v1/${path}`)
      .set('X-API-Key', TEST_API_KEY)
      .send(body as object);
  const count = async (table: string) =>
    Number((await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n);

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  describe('access', () => {
    it('refuses a request without an API key with 401 in the common error shape', async () => {
      const res = await request(t.http)
        .post('/api/v1/tutors')
        .send({ items: [tutorItem()] })
        .expect(401);
      expect(res.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'Sign in, or send an API key in the X-API-Key header',
      });
      expect(await count('tutors')).toBe(0);
    });

    it('refuses an unknown API key', async () => {
      const res = await request(t.http)
        .post('/api/v1/tutors')
        .set('X-API-Key', 'wrong-key')
        .send({ items: [tutorItem()] })
        .expect(401);
      expect(res.body.message).toBe('The API key is not valid');
    });
  });

  describe('bad requests', () => {
    it('answers malformed JSON with 400', async () => {
      const res = await request(t.http)
        .post('/api/v1/tutors')
        .set('X-API-Key', TEST_API_KEY)
        .set('Content-Type', 'application/json')
        .send('{"items": [ {"externalId": "a",')
        .expect(400);
      expect(res.body.statusCode).toBe(400);
      expect(res.body.error).toBe('Bad Request');
      expect(res.body.message).toMatch(/^Malformed JSON/);
    });

    it('answers a body that is not an object with 400', async () => {
      const res = await post('tutors', [tutorItem()]).expect(400);
      expect(res.body.message).toMatch(/must be a JSON object/);
    });

    it('names unknown top-level fields', async () => {
      const res = await post('tutors', { items: [tutorItem()], dryRun: true, extra: 1 }).expect(
        400,
      );
      expect(res.body.message).toMatch(/Unknown top-level fields: dryRun, extra/);
      expect(res.body.details).toEqual({ unknownFields: ['dryRun', 'extra'] });
    });

    it('requires items to be a non-empty array', async () => {
      expect((await post('sessions', { items: 'nope' }).expect(400)).body.message).toMatch(
        /items must be an array/,
      );
      expect((await post('sessions', {}).expect(400)).body.message).toMatch(
        /items must be an array/,
      );
      expect((await post('sessions', { items: [] }).expect(400)).body.message).toMatch(
        /items is empty/,
      );
    });

    it('answers more than 5,000 items with 413 and stores nothing', async () => {
      const items = Array.from({ length: 5001 }, (_, i) => tutorItem({ externalId: `big-${i}` }));
      const res = await post('tutors', { items }).expect(413);
      expect(res.body.message).toBe('items holds 5001 records; at most 5000 per request');
      expect(await count('tutors')).toBe(0);
    });

    it('answers a body over 10 MB with 413', async () => {
      const huge = JSON.stringify({
        items: [{ externalId: 'x', name: 'a'.repeat(11 * 1024 * 1024) }],
      });
      const res = await request(t.http)
        .post('/api/v1/tutors')
        .set('X-API-Key', TEST_API_KEY)
        .set('Content-Type', 'application/json')
        .send(huge)
        .expect(413);
      expect(res.body).toEqual({
        statusCode: 413,
        error: 'Payload Too Large',
        message: 'Request body is larger than the 10 MB limit',
      });
    });
  });

  describe('tutors and students', () => {
    it('creates, then reports unchanged, then updated, by externalId', async () => {
      const a = tutorItem();
      const b = tutorItem();
      const first = await post('tutors', { items: [a, b] }).expect(200);
      expect(first.body.summary).toEqual({ created: 2, updated: 0, unchanged: 0, rejected: 0 });
      expect(first.body.results[0]).toMatchObject({
        index: 0,
        externalId: a.externalId,
        status: 'created',
      });
      expect(first.body.results[0].id).toMatch(/^[0-9a-f-]{36}$/);

      const again = await post('tutors', { items: [a, { ...b, location: 'Lisbon' }] }).expect(200);
      expect(again.body.summary).toEqual({ created: 0, updated: 1, unchanged: 1, rejected: 0 });
      expect(again.body.results.map((r: { status: string }) => r.status)).toEqual([
        'unchanged',
        'updated',
      ]);
      expect(again.body.results[0].id).toBe(first.body.results[0].id);

      const stored = await t.dataSource.query(
        'SELECT location, subjects FROM tutors WHERE external_id = $1',
        [b.externalId],
      );
      expect(stored[0]).toEqual({ location: 'Lisbon', subjects: ['Algebra', 'Geometry'] });
    });

    it('rejects invalid items by index and field, stores the valid ones, and stays 200', async () => {
      const good = tutorItem();
      const res = await post('tutors', {
        items: [
          tutorItem({ email: 'not-an-email', subjects: ['Astrology'] }),
          good,
          tutorItem({ nickname: 'Ace' }),
          tutorItem({ baselineSessionsPerWeek: '12' }),
          'just a string',
          tutorItem({ externalId: good.externalId }),
        ],
      }).expect(200);
      expect(res.body.summary).toEqual({ created: 1, updated: 0, unchanged: 0, rejected: 5 });
      const [r0, r1, r2, r3, r4, r5] = res.body.results;
      expect(r0.status).toBe('rejected');
      expect(r0.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'email',
        'subjects',
      ]);
      expect(r0.errors.find((e: { field: string }) => e.field === 'subjects').message).toMatch(
        /known subjects/,
      );
      expect(r1).toMatchObject({ index: 1, status: 'created' });
      expect(r2.errors).toEqual([{ field: 'nickname', message: 'nickname is not a known field' }]);
      expect(r3.errors[0]).toMatchObject({ field: 'baselineSessionsPerWeek' });
      expect(r4).toEqual({
        index: 4,
        status: 'rejected',
        errors: [{ field: '', message: 'each item must be a JSON object' }],
      });
      expect(r5.errors).toEqual([
        { field: 'externalId', message: 'externalId repeats item 1 of this request' },
      ]);
    });

    it('rejects an item that tries to set its prototype', async () => {
      const res = await request(t.http)
        .post('/api/v1/tutors')
        .set('X-API-Key', TEST_API_KEY)
        .set('Content-Type', 'application/json')
        .send(`{"items":[{"__proto__":{"name":"x"},"externalId":"proto-1"}]}`)
        .expect(200);
      expect(res.body.results[0]).toMatchObject({
        status: 'rejected',
        errors: [{ field: '__proto__', message: '__proto__ is not a known field' }],
      });
    });

    it('answers 200 even when every item is rejected, and writes nothing', async () => {
      const before = await count('tutors');
      const res = await post('tutors', { items: [{}, { externalId: 'only-id' }] }).expect(200);
      expect(res.body.summary.rejected).toBe(2);
      expect(res.body.results[1].errors.map((e: { field: string }) => e.field)).toEqual(
        expect.arrayContaining(['name', 'email', 'onboardingDate', 'subjects']),
      );
      expect(await count('tutors')).toBe(before);
    });

    it('refuses an email already used by another tutor and an unknown manager', async () => {
      const a = tutorItem();
      await post('tutors', { items: [a] }).expect(200);
      const res = await post('tutors', {
        items: [
          tutorItem({ email: a.email.toUpperCase() }),
          tutorItem({ managerEmail: 'nobody@example.invalid' }),
        ],
      }).expect(200);
      expect(res.body.results[0].errors).toEqual([
        { field: 'email', message: `email is already used by tutor ${a.externalId}` },
      ]);
      expect(res.body.results[1].errors).toEqual([
        { field: 'managerEmail', message: 'no user with email nobody@example.invalid' },
      ]);
    });

    it('applies COPPA rules to students under 13', async () => {
      const year = new Date().getUTCFullYear();
      const res = await post('students', {
        items: [
          studentItem({ birthYear: year - 10, email: 'kid@example.invalid' }),
          studentItem({ birthYear: year - 10, parentEmail: 'parent@example.invalid' }),
          studentItem({ birthYear: year - 16, email: 'teen@example.invalid' }),
          studentItem({ birthYear: year + 1 }),
          // No parent email yet: kept with the minimal set, awaiting a parent contact.
          studentItem({ birthYear: year - 9 }),
        ],
      }).expect(200);
      const fields = res.body.results[0].errors.map((e: { field: string }) => e.field).sort();
      expect(fields).toEqual(['email']);
      expect(res.body.results[1].status).toBe('created');
      expect(res.body.results[2].status).toBe('created');
      expect(res.body.results[3].errors[0].field).toBe('birthYear');
      expect(res.body.results[4].status).toBe('created');
      const rows = await t.dataSource.query(
        'SELECT external_id, parent_consent_status, parent_email FROM students WHERE id = ANY($1::uuid[]) ORDER BY birth_year, external_id',
        [[res.body.results[1].id, res.body.results[2].id, res.body.results[4].id]],
      );
      expect(rows.map((r: { parent_consent_status: string }) => r.parent_consent_status)).toEqual([
        'not_required',
        'pending',
        'pending',
      ]);
      // COPPA: a child's name is not stored before a parent has verified consent.
      const names = await t.dataSource.query(
        'SELECT name FROM students WHERE id = ANY($1::uuid[])',
        [[res.body.results[1].id, res.body.results[4].id]],
      );
      for (const { name } of names)
        expect(t.app.get(FieldCipher).decrypt(name)).toBe(WITHHELD_STUDENT_NAME);
    });
  });

  describe('sessions, feedback and events', () => {
    let tutor: ReturnType<typeof tutorItem>;
    let student: ReturnType<typeof studentItem>;

    beforeAll(async () => {
      tutor = tutorItem();
      student = studentItem();
      await post('tutors', { items: [tutor] }).expect(200);
      await post('students', { items: [student] }).expect(200);
    });

    it('numbers a pair’s sessions by scheduled start, however late they arrive', async () => {
      const pairStudent = studentItem();
      await post('students', { items: [pairStudent] }).expect(200);
      const later = completedSession(tutor.externalId, pairStudent.externalId, {
        scheduledStart: iso(daysFromNow(-2)),
        actualStart: iso(daysFromNow(-2)),
      });
      await post('sessions', { items: [later] }).expect(200);
      const earlier = completedSession(tutor.externalId, pairStudent.externalId, {
        scheduledStart: iso(daysFromNow(-9)),
        actualStart: iso(daysFromNow(-9)),
      });
      const upcoming = {
        externalId: 'upcoming-1',
        tutorExternalId: tutor.externalId,
        studentExternalId: pairStudent.externalId,
        scheduledStart: iso(daysFromNow(3)),
        durationMinutes: 45,
        subject: 'Geometry',
      };
      const res = await post('sessions', { items: [upcoming, earlier] }).expect(200);
      expect(res.body.summary.created).toBe(2);
      const rows = await t.dataSource.query(
        `SELECT s.external_id, s.session_number, s.status FROM sessions s JOIN students st ON st.id = s.student_id
         WHERE st.external_id = $1 ORDER BY scheduled_start`,
        [pairStudent.externalId],
      );
      expect(rows).toEqual([
        { external_id: earlier.externalId, session_number: 1, status: 'completed' },
        { external_id: later.externalId, session_number: 2, status: 'completed' },
        { external_id: 'upcoming-1', session_number: 3, status: 'scheduled' },
      ]);
    });

    it('numbers a batch of new sessions in order and renumbers a pair when a session moves', async () => {
      const pairStudent = studentItem();
      await post('students', { items: [pairStudent] }).expect(200);
      const at = (days: number, externalId: string) =>
        completedSession(tutor.externalId, pairStudent.externalId, {
          externalId,
          scheduledStart: iso(daysFromNow(days)),
          actualStart: iso(daysFromNow(days)),
        });
      await post('sessions', { items: [at(-3, 'mv-c'), at(-9, 'mv-a'), at(-6, 'mv-b')] }).expect(
        200,
      );
      const numbers = async () =>
        Object.fromEntries(
          (
            await t.dataSource.query(
              `SELECT external_id, session_number FROM sessions WHERE external_id LIKE 'mv-%'`,
            )
          ).map((r: { external_id: string; session_number: number }) => [
            r.external_id,
            r.session_number,
          ]),
        );
      expect(await numbers()).toEqual({ 'mv-a': 1, 'mv-b': 2, 'mv-c': 3 });
      // mv-a is rescheduled after mv-c: it becomes the third session of the pair
      const res = await post('sessions', { items: [at(-1, 'mv-a'), at(-2, 'mv-d')] }).expect(200);
      expect(res.body.summary).toMatchObject({ created: 1, updated: 1 });
      expect(await numbers()).toEqual({ 'mv-b': 1, 'mv-c': 2, 'mv-d': 3, 'mv-a': 4 });
    });

    it('rejects sessions that break the validation rules', async () => {
      const base = () => completedSession(tutor.externalId, student.externalId);
      const res = await post('sessions', {
        items: [
          { ...base(), durationMinutes: 50 },
          { ...base(), lateStartMinutes: 40, durationMinutes: 30 },
          { ...base(), engagementScore: 1.5 },
          { ...base(), subject: 'Underwater Basketry' },
          {
            ...base(),
            scheduledStart: iso(daysFromNow(31)),
            actualStart: undefined,
            lateStartMinutes: undefined,
            engagementScore: undefined,
            learningObjectivesMet: undefined,
          },
          { ...base(), scheduledStart: iso(daysFromNow(2)), status: 'scheduled' },
          { ...base(), tutorExternalId: 'no-such-tutor' },
          { ...base(), scheduledStart: 'next tuesday' },
          { ...base(), status: 'completed', actualStart: undefined },
        ],
      }).expect(200);
      expect(res.body.summary).toEqual({ created: 0, updated: 0, unchanged: 0, rejected: 9 });
      const firstField = (i: number) => res.body.results[i].errors[0].field;
      expect(firstField(0)).toBe('durationMinutes');
      expect(firstField(1)).toBe('lateStartMinutes');
      expect(firstField(2)).toBe('engagementScore');
      expect(firstField(3)).toBe('subject');
      expect(res.body.results[4].errors[0]).toEqual({
        field: 'scheduledStart',
        message: 'scheduledStart must be at most 30 days ahead',
      });
      expect(res.body.results[5].errors.map((e: { field: string }) => e.field)).toEqual(
        expect.arrayContaining(['actualStart', 'engagementScore']),
      );
      expect(res.body.results[6].errors).toEqual([
        { field: 'tutorExternalId', message: 'no tutor with externalId no-such-tutor' },
      ]);
      expect(firstField(7)).toBe('scheduledStart');
      expect(res.body.results[8].errors).toEqual([
        { field: 'actualStart', message: 'actualStart is required for a completed session' },
      ]);
    });

    it('accepts feedback only for a session that took place, once per session', async () => {
      const done = completedSession(tutor.externalId, student.externalId);
      const missed = {
        ...completedSession(tutor.externalId, student.externalId),
        status: 'no_show',
        actualStart: undefined,
        engagementScore: undefined,
        learningObjectivesMet: undefined,
        lateStartMinutes: undefined,
      };
      const future = {
        externalId: 'future-1',
        tutorExternalId: tutor.externalId,
        studentExternalId: student.externalId,
        scheduledStart: iso(daysFromNow(1)),
        durationMinutes: 60,
        subject: 'Algebra',
      };
      const sessions = await post('sessions', { items: [done, missed, future] }).expect(200);
      expect(sessions.body.summary.created).toBe(3);

      const fb = feedbackItem(done.externalId);
      const res = await post('feedback', {
        items: [
          fb,
          feedbackItem(missed.externalId),
          feedbackItem('future-1'),
          feedbackItem(done.externalId),
          feedbackItem(done.externalId, { overallRating: 6, improvementAreas: ['late'] }),
          feedbackItem('nope'),
        ],
      }).expect(200);
      const results = res.body.results;
      expect(results[0].status).toBe('created');
      expect(results[1].errors[0].message).toMatch(/did not take place \(status no_show\)/);
      expect(results[2].errors[0].message).toMatch(/did not take place \(status scheduled\)/);
      expect(results[3].errors[0].message).toBe(
        `session ${done.externalId} already has feedback ${fb.externalId}`,
      );
      expect(results[4].errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'improvementAreas',
        'overallRating',
      ]);
      expect(results[5].errors[0].message).toBe('no session with externalId nope');

      const stored = await t.dataSource.query(
        'SELECT tutor_id, student_id, improvement_areas FROM student_feedback WHERE external_id = $1',
        [fb.externalId],
      );
      expect(stored[0].improvement_areas).toEqual(['punctuality']);
      const [tutorRow] = await t.dataSource.query('SELECT id FROM tutors WHERE external_id = $1', [
        tutor.externalId,
      ]);
      expect(stored[0].tutor_id).toBe(tutorRow.id);
    });

    it('strips HTML from free text and names on the way in', async () => {
      const student2 = studentItem({ name: 'Ann <b>Lee</b><script>alert(1)</script>' });
      await post('students', { items: [student2] }).expect(200);
      const session = completedSession(tutor.externalId, student2.externalId);
      await post('sessions', { items: [session] }).expect(200);
      await post('feedback', {
        items: [
          feedbackItem(session.externalId, {
            submittedAt: iso(new Date()),
            freeText: 'Loved it <img src=x onerror=alert(1)> & learned 3 < 4',
          }),
        ],
      }).expect(200);
      const [s] = (
        await request(t.http)
          .get(`/api/v1/students?externalId=${student2.externalId}`)
          .set('X-API-Key', TEST_API_KEY)
          .expect(200)
      ).body.items;
      expect(s.name).toBe('Ann Lee');
      const [f] = (
        await request(t.http)
          .get(
            `/api/v1/feedback?sessionId=${(await t.dataSource.query('SELECT id FROM sessions WHERE external_id = $1', [session.externalId]))[0].id}`,
          )
          .set('X-API-Key', TEST_API_KEY)
          .expect(200)
      ).body.items;
      expect(f.freeText).toBe('Loved it  & learned 3 < 4');
    });

    it('stores tutor events and requires response minutes on message responses', async () => {
      const res = await post('tutor-events', {
        items: [
          {
            externalId: 'ev-1',
            tutorExternalId: tutor.externalId,
            eventType: 'login',
            occurredAt: iso(daysFromNow(-1)),
          },
          {
            externalId: 'ev-2',
            tutorExternalId: tutor.externalId,
            eventType: 'message_response',
            occurredAt: iso(daysFromNow(-1)),
            responseMinutes: 12.5,
          },
          {
            externalId: 'ev-3',
            tutorExternalId: tutor.externalId,
            eventType: 'message_response',
            occurredAt: iso(daysFromNow(-1)),
          },
          {
            externalId: 'ev-4',
            tutorExternalId: tutor.externalId,
            eventType: 'vacation',
            occurredAt: iso(daysFromNow(-1)),
          },
          {
            externalId: 'ev-5',
            tutorExternalId: tutor.externalId,
            eventType: 'login',
            occurredAt: iso(daysFromNow(1)),
          },
        ],
      }).expect(200);
      expect(res.body.results.map((r: { status: string }) => r.status)).toEqual([
        'created',
        'created',
        'rejected',
        'rejected',
        'rejected',
      ]);
      expect(res.body.results[2].errors[0].field).toBe('responseMinutes');
      expect(res.body.results[3].errors[0].field).toBe('eventType');
      expect(res.body.results[4].errors[0]).toEqual({
        field: 'occurredAt',
        message: 'occurredAt must not be in the future',
      });
    });

    it('writes one outbox event per created or updated record, in the same transaction, carrying ids and no personal data', async () => {
      const s = completedSession(tutor.externalId, student.externalId);
      const eventsFor = () =>
        t.dataSource.query(
          `SELECT event_type, payload FROM outbox_events
           WHERE event_type = 'session.recorded' AND payload->>'sessionId' IN (SELECT id::text FROM sessions WHERE external_id = $1)`,
          [s.externalId],
        );
      await post('sessions', { items: [s] }).expect(200);
      expect(await eventsFor()).toHaveLength(1);
      await post('sessions', { items: [s] }).expect(200); // unchanged: no event
      expect(await eventsFor()).toHaveLength(1);
      await post('sessions', { items: [{ ...s, engagementScore: 0.4 }] }).expect(200);
      const events = await eventsFor();
      expect(events).toHaveLength(2);
      // The ids, and whether the session is still to come (it is over).
      for (const e of events)
        expect(e.payload).toEqual({
          sessionId: expect.stringMatching(UUID),
          tutorId: expect.stringMatching(UUID),
          upcoming: false,
        });
    });
  });
});

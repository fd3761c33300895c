import request from 'supertest';
import { NotificationLinks } from '../src/notifications/notification-links';
import { csrfFrom } from './helpers/auth';
import { completedSession, studentItem, tutorItem } from './helpers/fixtures';
import { ingest } from './helpers/ingest';
import { startTestApp, TestApp } from './helpers/test-app';

describe('student feedback form /feedback/:token', () => {
  let t: TestApp;
  let tutorExt: string;

  beforeAll(async () => {
    t = await startTestApp();
    const tutor = tutorItem({ name: 'Ada Lovelace' });
    tutorExt = tutor.externalId;
    await ingest(t.http, 'tutors', [tutor]);
  });
  afterAll(() => t.close());

  async function sessionFor(student: Record<string, unknown>, overrides = {}): Promise<string> {
    await ingest(t.http, 'students', [student]);
    const session = completedSession(tutorExt, student.externalId as string, overrides);
    const [s] = await ingest(t.http, 'sessions', [session]);
    return s.id!;
  }
  const linkFor = (sessionId: string, now = new Date()) =>
    t.app.get(NotificationLinks).feedbackUrl(sessionId, 'student', now).split('/feedback/')[1];
  const feedbackRows = (sessionId: string) =>
    t.dataSource.query('SELECT * FROM student_feedback WHERE session_id = $1', [sessionId]);

  /** An anonymous browser: loads the form, then posts it with the page's CSRF token. */
  async function open(token: string) {
    const agent = request.agent(t.http);
    const page = await agent.get(`/feedback/${token}`);
    return {
      page,
      post: (form: Record<string, unknown>) =>
        agent
          .post(`/feedback/${token}`)
          .type('form')
          .send({ _csrf: csrfFrom(page.text), ...form }),
    };
  }

  it('records a complete answer once, through the tutoring records (events follow)', async () => {
    const sessionId = await sessionFor(studentItem({ email: 'kim.teen@example.invalid' }));
    const token = linkFor(sessionId);
    const form = await open(token);
    expect(form.page.status).toBe(200);
    expect(form.page.text).toContain('How was your session?');
    expect(form.page.text).toContain('Would you want to work with this tutor again?');
    expect(form.page.text).toContain('name="improvementAreas" value="subject_knowledge"');
    expect(form.page.text).not.toMatch(/<script(?! src=)/);
    expect(form.page.text).not.toContain('style=');

    const done = await form.post({
      overallRating: '5',
      subjectKnowledgeRating: '5',
      communicationRating: '4',
      patienceRating: '5',
      engagementRating: '3',
      helpfulnessRating: '4',
      workAgain: 'probably_not',
      improvementAreas: ['punctuality', 'engagement'],
      comments: '  Explained fractions well.  ',
    });
    expect(done.status).toBe(200);
    expect(done.text).toContain('Thank you for your feedback');
    const [row] = await feedbackRows(sessionId);
    expect(row).toMatchObject({
      overall_rating: 5,
      subject_knowledge_rating: 5,
      communication_rating: 4,
      patience_rating: 5,
      engagement_rating: 3,
      helpfulness_rating: 4,
      work_again: 'probably_not',
      improvement_areas: ['punctuality', 'engagement'],
    });
    expect(row.free_text).toMatch(/^enc1:/); // encrypted at rest
    const events = await t.dataSource.query(
      `SELECT 1 FROM outbox_events WHERE event_type = 'feedback.recorded' AND payload->>'feedbackId' = $1`,
      [row.id],
    );
    expect(events).toHaveLength(1);

    // A second submission (the same page posted again, or the link opened again) stores nothing.
    const again = await form.post({ overallRating: '1' });
    expect(again.status).toBe(409);
    expect(again.text).toContain('already recorded');
    expect((await request(t.http).get(`/feedback/${token}`)).status).toBe(409);
    // So does a reminder's link for the same session.
    expect((await request(t.http).get(`/feedback/${linkFor(sessionId)}`)).status).toBe(409);
    expect(await feedbackRows(sessionId)).toHaveLength(1);
    expect((await feedbackRows(sessionId))[0].overall_rating).toBe(5);
  });

  it('shows what is wrong and stores nothing for invalid answers', async () => {
    const sessionId = await sessionFor(studentItem({ email: 'lee.teen@example.invalid' }));
    const form = await open(linkFor(sessionId));
    const res = await form.post({
      overallRating: '9',
      improvementAreas: ['punctuality', 'charisma'],
      comments: 'x'.repeat(2001),
    });
    expect(res.status).toBe(422);
    expect(res.text).toContain('A rating is a whole number from 1 to 5');
    expect(res.text).toContain('Choose improvement areas from the list');
    expect(res.text).toContain('at most 2000 characters');
    expect(res.text).toContain('Tell us whether you would want to work with this tutor again');
    expect(await feedbackRows(sessionId)).toHaveLength(0);
    // The link still works after a mistake.
    const ok = await form.post({
      overallRating: '3',
      workAgain: 'maybe',
      comments: 'y'.repeat(2000),
    });
    expect(ok.status).toBe(200);
    expect(await feedbackRows(sessionId)).toHaveLength(1);
  });

  it('refuses a post without the CSRF token', async () => {
    const sessionId = await sessionFor(studentItem({ email: 'csrf.teen@example.invalid' }));
    const res = await request(t.http)
      .post(`/feedback/${linkFor(sessionId)}`)
      .type('form')
      .send({ overallRating: '5', workAgain: 'yes' });
    expect(res.status).toBe(403);
    expect(await feedbackRows(sessionId)).toHaveLength(0);
  });

  it('expired and unknown links get a clear page and store nothing', async () => {
    const sessionId = await sessionFor(studentItem({ email: 'late.teen@example.invalid' }));
    const old = linkFor(sessionId, new Date(Date.now() - 7 * 86_400_000 - 60_000));
    const expired = await request(t.http).get(`/feedback/${old}`);
    expect(expired.status).toBe(410);
    expect(expired.text).toContain('This feedback link has expired');
    const form = await open(linkFor(sessionId, new Date(Date.now() - 6 * 86_400_000)));
    expect(form.page.status).toBe(200); // six days old still works
    const unknown = await request(t.http).get('/feedback/not-a-real-token');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain('This feedback link is not valid');
    const tampered = linkFor(sessionId).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await request(t.http).get(`/feedback/${tampered}`)).status).toBe(404);
    const post = await request(t.http)
      .post(`/feedback/${old}`)
      .type('form')
      .send({ overallRating: '5' });
    expect([403, 410]).toContain(post.status);
    expect(await feedbackRows(sessionId)).toHaveLength(0);
  });

  it('an under-13 student without verified parental consent cannot give feedback', async () => {
    const child = studentItem({
      birthYear: new Date().getUTCFullYear() - 10,
      parentEmail: 'parent.of.ten@example.invalid',
    });
    const sessionId = await sessionFor(child);
    const token = linkFor(sessionId);
    const page = await request(t.http).get(`/feedback/${token}`);
    expect(page.status).toBe(403);
    expect(page.text).toContain('A parent or guardian must give consent first');
    expect(await feedbackRows(sessionId)).toHaveLength(0);
    await t.dataSource.query(
      `UPDATE students SET parent_consent_status = 'granted' WHERE external_id = $1`,
      [child.externalId],
    );
    const form = await open(token);
    expect(form.page.status).toBe(200);
    expect((await form.post({ overallRating: '4', workAgain: 'yes' })).status).toBe(200);
    expect(await feedbackRows(sessionId)).toHaveLength(1);
  });

  it('a session that did not take place cannot be rated', async () => {
    const sessionId = await sessionFor(studentItem({ email: 'noshow.teen@example.invalid' }), {
      status: 'no_show',
      actualStart: undefined,
      engagementScore: undefined,
      learningObjectivesMet: undefined,
      lateStartMinutes: undefined,
    });
    const res = await request(t.http).get(`/feedback/${linkFor(sessionId)}`);
    expect(res.status).toBe(409);
    expect(res.text).toContain('did not take place');
  });
});

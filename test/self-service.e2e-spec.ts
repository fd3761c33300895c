import request from 'supertest';
import { browserSignIn, createUser, apiSignIn } from './helpers/auth';
import {
  createIntervention,
  managerToken,
  seedSentMessage,
  seedSessionWithFeedback,
  seedSnapshot,
  seedStudent,
  seedTier,
  seedTutor,
  SeededStudent,
  SeededTutor,
  waitForIdle,
} from './helpers/self-service';
import { PersonalDataRegistry } from '../src/compliance/personal-data-registry';
import { startTestApp, TestApp } from './helpers/test-app';

const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

describe('self-service (/me)', () => {
  let t: TestApp;
  let ada: SeededTutor;
  let ben: SeededTutor;
  let sam: SeededStudent;
  let kim: SeededStudent;
  const as = (who: { token: string }) => ({ Authorization: `Bearer ${who.token}` });

  beforeAll(async () => {
    t = await startTestApp();
    ada = await seedTutor(t, { name: 'Ada Lovelace', onboardingDate: '2024-03-10' });
    ben = await seedTutor(t, { name: 'Ben Other', onboardingDate: '2023-01-05' });
    sam = await seedStudent(t, { name: 'Samantha Quill' });
    kim = await seedStudent(t, { name: 'Kimberly Zed' });
    // Ada taught Samantha twice (the first one rated 5 with her name in the comment); Ben taught Kimberly.
    await seedSessionWithFeedback(t, ada, sam, 10, {
      overallRating: 5,
      freeText: 'Samantha here: Ada explained fractions so well.',
      workAgain: 'yes',
    });
    await seedSessionWithFeedback(t, ada, sam, 5, { overallRating: 3, freeText: 'Too fast.' });
    await seedSessionWithFeedback(t, ben, kim, 4, {
      overallRating: 2,
      freeText: 'Kimberly was confused.',
    });
    // Ten more tutors onboarded in Ada's cohort (March 2024 + 90 days), all rated below her.
    for (let i = 0; i < 10; i++) {
      const peer = await seedTutor(t, {
        name: `Peer ${i}`,
        onboardingDate: '2024-04-0' + ((i % 9) + 1),
      });
      await seedSnapshot(t, peer.id, 30, {
        avgRating: 3.5 + i * 0.05,
        sessionsCompleted: 10 + i,
        engagementScore: 60 + i,
      });
    }
    await waitForIdle(t);
    for (const w of [7, 30, 90])
      await seedSnapshot(t, ada.id, w, { avgRating: 4.2, sessionsCompleted: 25 });
    for (let d = 1; d <= 5; d++)
      await seedSnapshot(t, ada.id, 30, { avgRating: 4.0 + d * 0.02 }, d * 7);
    await seedSnapshot(t, ben.id, 30, { avgRating: 2.0, engagementScore: 40 });
    await seedTier(t, ada.id, 'Strong', 40);
  }, 120_000);
  afterAll(() => t.close());

  it('shows a tutor their tier, how long they held it, and metrics with thresholds and trend charts', async () => {
    const res = await request(t.http).get('/api/v1/me/tutor/overview').set(as(ada)).expect(200);
    expect(res.body.name).toBe('Ada Lovelace');
    expect(res.body.tier).toMatchObject({ tier: 'Strong', daysHeld: 40 });
    const rating = res.body.metrics.find((m: { key: string }) => m.key === 'avgRating');
    expect(rating.values['30day']).toMatchObject({
      value: expect.closeTo(4.2, 5),
      display: '4.20',
      standing: 'ok',
    });
    expect(rating.explanation).toContain('4.5 or more');
    expect(rating.chart.points.split(' ')).toHaveLength(6);
    const resched = res.body.metrics.find((m: { key: string }) => m.key === 'rescheduleRate');
    expect(resched.explanation).toContain('under 10%');
    expect(resched.values['30day'].display).toBe('5%');
  });

  it('gives percentiles in a cohort of 10 or more, and none in a smaller one', async () => {
    const mine = await request(t.http).get('/api/v1/me/tutor/peers').set(as(ada)).expect(200);
    expect(mine.body).toMatchObject({
      shown: true,
      cohortSize: 11,
      cohortFrom: '2024-03-01',
      rating: 95,
    });
    expect(typeof mine.body.overall).toBe('number');
    const small = await request(t.http).get('/api/v1/me/tutor/peers').set(as(ben)).expect(200);
    expect(small.body).toMatchObject({ shown: false, cohortSize: 1, rating: null, overall: null });
  });

  it('shows a tutor only their own feedback, without the student’s name or id', async () => {
    const res = await request(t.http).get('/api/v1/me/tutor/feedback').set(as(ada)).expect(200);
    expect(res.body.items.map((f: { overallRating: number }) => f.overallRating)).toEqual([3, 5]);
    expect(res.body.items[1].comment).toBe('[student] here: Ada explained fractions so well.');
    const text = JSON.stringify(res.body);
    for (const secret of [sam.id, sam.externalId, 'Samantha', 'Quill', kim.id, 'Kimberly', ben.id])
      expect(text).not.toContain(secret);
    const first = await request(t.http)
      .get('/api/v1/me/tutor/first-sessions')
      .set(as(ada))
      .expect(200);
    expect(first.body.summary).toMatchObject({ held: 1, rated: 1, succeeded: 1, successRate: 1 });
    expect(first.body.items[0]).toMatchObject({ rating: 5, success: true, workAgain: 'yes' });
    const bens = await request(t.http).get('/api/v1/me/tutor/feedback').set(as(ben)).expect(200);
    expect(bens.body.items).toHaveLength(1);
    expect(bens.body.items[0].comment).toBe('[student] was confused.');
  });

  it('shows a student only their own sessions and the feedback they gave', async () => {
    const sessions = await request(t.http)
      .get('/api/v1/me/student/sessions')
      .set(as(sam))
      .expect(200);
    expect(sessions.body.items).toHaveLength(2);
    expect(
      sessions.body.items.every((s: { tutorName: string }) => s.tutorName === 'Ada Lovelace'),
    ).toBe(true);
    const feedback = await request(t.http)
      .get('/api/v1/me/student/feedback')
      .set(as(sam))
      .expect(200);
    expect(feedback.body.items.map((f: { comment: string }) => f.comment)).toEqual([
      'Too fast.',
      'Samantha here: Ada explained fractions so well.',
    ]);
    const kims = await request(t.http).get('/api/v1/me/student/sessions').set(as(kim)).expect(200);
    expect(kims.body.items).toHaveLength(1);
    expect(JSON.stringify(kims.body)).not.toContain('Samantha');
    const paged = await request(t.http)
      .get('/api/v1/me/student/sessions?limit=1')
      .set(as(sam))
      .expect(200);
    expect(paged.body.items).toHaveLength(1);
    const next = await request(t.http)
      .get(`/api/v1/me/student/sessions?limit=1&cursor=${paged.body.nextCursor}`)
      .set(as(sam))
      .expect(200);
    expect(next.body.items[0].id).not.toBe(paged.body.items[0].id);
    const profile = await request(t.http).get('/api/v1/me/student').set(as(sam)).expect(200);
    expect(profile.body).toMatchObject({ firstName: 'Samantha', parentOfChildUnder13: false });
    expect(profile.body.links.every((l: { href: string }) => l.href === '/privacy')).toBe(true);
  });

  it('links a parent of a child under 13 to the consent and review pages', async () => {
    const child = await seedStudent(t, {
      name: 'Tiny Tim',
      birthYear: new Date().getUTCFullYear() - 9,
      parentEmail: 'parent.tim@example.invalid',
    });
    const res = await request(t.http).get('/api/v1/me/student').set(as(child)).expect(200);
    expect(res.body.parentOfChildUnder13).toBe(true);
    expect(res.body.links.map((l: { label: string }) => l.label)).toEqual(
      expect.arrayContaining(['Parental consent', 'Review my child’s information']),
    );
  });

  it('keeps tutors and students to their own routes and explains an unlinked account', async () => {
    await request(t.http).get('/api/v1/me/student/sessions').set(as(ada)).expect(403);
    await request(t.http).get('/api/v1/me/tutor/overview').set(as(sam)).expect(403);
    const lone = await createUser(t, ['tutor']);
    const { accessToken } = await apiSignIn(t, lone.email, lone.password, '198.18.99.1');
    const res = await request(t.http)
      .get('/api/v1/me/tutor/overview')
      .set('Authorization', `Bearer ${accessToken}`)
      .expect(404);
    expect(res.body.message).toBe('your account is not linked to a tutor record');
  });

  it('creates, validates, updates and deletes goals, with progress from the metrics', async () => {
    const post = (body: object, who = ada) =>
      request(t.http).post('/api/v1/me/tutor/goals').set(as(who)).send(body);
    const bad = async (body: object, message: RegExp) => {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(message);
    };
    await bad(
      { type: 'fame', target: 1, dueOn: inDays(30) },
      /type must be one of rating_improvement/,
    );
    await bad(
      { type: 'rating_improvement', target: 7, dueOn: inDays(30) },
      /target for rating_improvement must be an average rating from 1 to 5/,
    );
    await bad({ type: 'rating_improvement', dueOn: inDays(30) }, /target is required/);
    await bad(
      { type: 'on_time_percentage', target: 90, dueOn: inDays(30) },
      /fraction from 0 to 1/,
    );
    await bad(
      { type: 'rating_improvement', target: 4.8, dueOn: inDays(-1) },
      /dueOn must be after today/,
    );
    await bad({ type: 'rating_improvement', target: 4.8, dueOn: 'soon' }, /dueOn must be a date/);
    await bad({ type: 'custom', dueOn: inDays(30) }, /title is required for a custom goal/);
    await bad({ type: 'session_volume', target: 2.5, dueOn: inDays(30) }, /whole number/);

    const created = await post({
      type: 'rating_improvement',
      target: 4.8,
      dueOn: inDays(30),
    }).expect(201);
    expect(created.body).toMatchObject({
      type: 'rating_improvement',
      status: 'in_progress',
      progress: 0,
    });
    expect(created.body.baseline).toBeCloseTo(4.2, 5);
    const id = created.body.id as string;

    await seedSnapshot(t, ada.id, 30, { avgRating: 4.5, sessionsCompleted: 25 });
    const halfway = await request(t.http)
      .get(`/api/v1/me/tutor/goals/${id}`)
      .set(as(ada))
      .expect(200);
    expect(halfway.body.progress).toBeCloseTo(0.5, 2);

    const patched = await request(t.http)
      .patch(`/api/v1/me/tutor/goals/${id}`)
      .set(as(ada))
      .send({ target: 4.4 })
      .expect(200);
    expect(patched.body).toMatchObject({ status: 'achieved', progress: 1 });
    const refused = await request(t.http)
      .patch(`/api/v1/me/tutor/goals/${id}`)
      .set(as(ada))
      .send({ completed: true })
      .expect(400);
    expect(refused.body.message).toMatch(/only on a custom goal/);

    // Another tutor cannot see, change or delete it.
    await request(t.http).get(`/api/v1/me/tutor/goals/${id}`).set(as(ben)).expect(404);
    await request(t.http)
      .patch(`/api/v1/me/tutor/goals/${id}`)
      .set(as(ben))
      .send({ target: 5 })
      .expect(404);
    await request(t.http).delete(`/api/v1/me/tutor/goals/${id}`).set(as(ben)).expect(404);
    const bensList = await request(t.http).get('/api/v1/me/tutor/goals').set(as(ben)).expect(200);
    expect(bensList.body.items).toEqual([]);

    const custom = await post({
      type: 'custom',
      title: 'Plan every session',
      dueOn: inDays(14),
    }).expect(201);
    expect(custom.body.status).toBe('in_progress');
    const done = await request(t.http)
      .patch(`/api/v1/me/tutor/goals/${custom.body.id}`)
      .set(as(ada))
      .send({ completed: true })
      .expect(200);
    expect(done.body.status).toBe('achieved');

    const list = await request(t.http).get('/api/v1/me/tutor/goals').set(as(ada)).expect(200);
    expect(list.body.items).toHaveLength(2);
    await request(t.http).delete(`/api/v1/me/tutor/goals/${id}`).set(as(ada)).expect(204);
    await request(t.http).get(`/api/v1/me/tutor/goals/${id}`).set(as(ada)).expect(404);
    const rows = await t.dataSource.query('SELECT type FROM tutor_goals WHERE tutor_id = $1', [
      ada.id,
    ]);
    expect(rows).toEqual([{ type: 'custom' }]);

    // GDPR: the goals are in the tutor's own export, not in another's.
    const handler = t.app
      .get(PersonalDataRegistry)
      .all()
      .find((h) => h.name === 'self-service')!;
    const subject = { userId: ada.userId, tutorId: ada.id, studentId: null };
    const exported = await handler.export(subject, t.dataSource.manager);
    expect(exported.tutor_goals).toEqual([
      expect.objectContaining({ type: 'custom', title: 'Plan every session' }),
    ]);
    const other = await handler.export(
      { userId: ben.userId, tutorId: ben.id, studentId: null },
      t.dataSource.manager,
    );
    expect(other.tutor_goals).toEqual([]);
  });

  it('recommends training from the metrics and stores progress', async () => {
    const bens = await request(t.http).get('/api/v1/me/tutor/training').set(as(ben)).expect(200);
    const recommended = bens.body.items.filter((m: { recommended: boolean }) => m.recommended);
    expect(recommended.map((m: { id: string }) => m.id)).toEqual(
      expect.arrayContaining(['student-satisfaction', 'engagement-strategies']),
    );
    expect(bens.body.items[0].recommended).toBe(true);
    expect(bens.body.items).toHaveLength(12);

    const started = await request(t.http)
      .put('/api/v1/me/tutor/training/student-satisfaction')
      .set(as(ben))
      .send({ status: 'in_progress' })
      .expect(200);
    expect(started.body).toMatchObject({ status: 'in_progress', completedAt: null });
    const finished = await request(t.http)
      .put('/api/v1/me/tutor/training/student-satisfaction')
      .set(as(ben))
      .send({ status: 'completed' })
      .expect(200);
    expect(finished.body.status).toBe('completed');
    expect(finished.body.completedAt).toBeTruthy();
    const bad = await request(t.http)
      .put('/api/v1/me/tutor/training/student-satisfaction')
      .set(as(ben))
      .send({ status: 'done' })
      .expect(400);
    expect(bad.body.message).toMatch(/status must be one of not_started, in_progress, completed/);
    await request(t.http)
      .put('/api/v1/me/tutor/training/juggling')
      .set(as(ben))
      .send({ status: 'completed' })
      .expect(404);

    const stored = await t.dataSource.query(
      'SELECT tutor_id, module_id, status FROM tutor_training_progress',
    );
    expect(stored).toEqual([
      { tutor_id: ben.id, module_id: 'student-satisfaction', status: 'completed' },
    ]);
    const adas = await request(t.http).get('/api/v1/me/tutor/training').set(as(ada)).expect(200);
    expect(adas.body.items.every((m: { status: string }) => m.status === 'not_started')).toBe(true);

    // GDPR erasure of Ben removes his progress, and only his.
    const handler = t.app
      .get(PersonalDataRegistry)
      .all()
      .find((h) => h.name === 'self-service')!;
    const erased = await t.dataSource.transaction((m) =>
      handler.erase({ userId: ben.userId, tutorId: ben.id, studentId: null }, m),
    );
    expect(erased).toEqual({
      tutor_goals: 0,
      tutor_training_progress: 1,
      tutor_acknowledgements: 0,
    });
    expect(await t.dataSource.query('SELECT 1 FROM tutor_training_progress')).toEqual([]);
  });

  it('lists what is addressed to the tutor without reasons, and stores acknowledgements', async () => {
    const manager = await managerToken(t);
    const coaching = await createIntervention(
      t,
      manager,
      ada.id,
      'manager_coaching',
      'INTERNAL-REASON-1',
    );
    await createIntervention(t, manager, ada.id, 'retention_interview', 'INTERNAL-REASON-2');
    const messageId = await seedSentMessage(t, ada.id, coaching, { reason: 'INTERNAL-REASON-3' });

    const inbox = await request(t.http).get('/api/v1/me/tutor/inbox').set(as(ada)).expect(200);
    expect(inbox.body.support).toEqual([
      expect.objectContaining({
        id: coaching,
        type: 'manager_coaching',
        status: 'open',
        acknowledged: false,
      }),
    ]);
    expect(inbox.body.messages).toEqual([
      expect.objectContaining({
        id: messageId,
        title: 'Message from TutorMax',
        acknowledged: false,
      }),
    ]);
    expect(JSON.stringify(inbox.body)).not.toMatch(/INTERNAL-REASON|retention/);

    await request(t.http)
      .post(`/api/v1/me/tutor/inbox/support/${coaching}/acknowledge`)
      .set(as(ben))
      .expect(404);
    const ack = await request(t.http)
      .post(`/api/v1/me/tutor/inbox/support/${coaching}/acknowledge`)
      .set(as(ada))
      .expect(200);
    expect(ack.body.acknowledgedAt).toBeTruthy();
    await request(t.http)
      .post(`/api/v1/me/tutor/inbox/message/${messageId}/acknowledge`)
      .set(as(ada))
      .expect(200);
    await request(t.http)
      .post(`/api/v1/me/tutor/inbox/letter/${messageId}/acknowledge`)
      .set(as(ada))
      .expect(404);
    const after = await request(t.http).get('/api/v1/me/tutor/inbox').set(as(ada)).expect(200);
    expect(after.body.support[0].acknowledged).toBe(true);
    expect(after.body.messages[0].acknowledged).toBe(true);
    const rows = await t.dataSource.query(
      'SELECT subject_kind, user_id FROM tutor_acknowledgements WHERE tutor_id = $1 ORDER BY subject_kind',
      [ada.id],
    );
    expect(rows).toEqual([
      { subject_kind: 'message', user_id: ada.userId },
      { subject_kind: 'support', user_id: ada.userId },
    ]);
  });

  it('awards badges on one scale', async () => {
    await seedSnapshot(t, ada.id, 30, { avgRating: 4.6, ratingsCount: 12, engagementScore: 91 });
    const earnedBy = async (who: SeededTutor) => {
      const res = await request(t.http).get('/api/v1/me/tutor/badges').set(as(who)).expect(200);
      expect(res.body.items).toHaveLength(11);
      return res.body.items
        .filter((b: { earned: boolean }) => b.earned)
        .map((b: { id: string }) => b.id);
    };
    expect(await earnedBy(ada)).toEqual(['rating_4_5', 'engagement_80', 'engagement_90']);
    expect(await earnedBy(ben)).toEqual([]);
  });

  it('sends a signed-in tutor or student home to /me, rendered without inline styles', async () => {
    const tutorBrowser = await browserSignIn(t, ada.email, ada.password, '198.51.100.41');
    const home = await tutorBrowser.agent
      .get('/')
      .set('X-Forwarded-For', '198.51.100.41')
      .expect(303);
    expect(home.headers.location).toBe('/me');
    for (const path of ['/me', '/me/feedback', '/me/growth', '/me/inbox']) {
      const page = await tutorBrowser.agent
        .get(path)
        .set('X-Forwarded-For', '198.51.100.41')
        .expect(200);
      expect(page.text).not.toMatch(/style=/);
      expect(page.text).toContain('href="/me"');
    }
    const overview = await tutorBrowser.agent.get('/me').set('X-Forwarded-For', '198.51.100.41');
    expect(overview.text).toContain('<svg class="me-chart"');
    expect(overview.text).toContain('Strong');

    const csrf = await tutorBrowser.csrf('/me/growth');
    const refused = await tutorBrowser.agent
      .post('/me/goals')
      .set('X-Forwarded-For', '198.51.100.41')
      .type('form')
      .send({ _csrf: csrf, type: 'on_time_percentage', target: '150', dueOn: inDays(20) });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('target for on_time_percentage must be');
    const saved = await tutorBrowser.agent
      .post('/me/goals')
      .set('X-Forwarded-For', '198.51.100.41')
      .type('form')
      .send({ _csrf: csrf, type: 'on_time_percentage', target: '95', dueOn: inDays(20) });
    expect(saved.status).toBe(303);
    const [goal] = await t.dataSource.query(
      "SELECT target_value FROM tutor_goals WHERE tutor_id = $1 AND type = 'on_time_percentage'",
      [ada.id],
    );
    expect(goal.target_value).toBeCloseTo(0.95, 5);

    const studentBrowser = await browserSignIn(t, sam.email, sam.password, '198.51.100.42');
    const shome = await studentBrowser.agent
      .get('/')
      .set('X-Forwarded-For', '198.51.100.42')
      .expect(303);
    expect(shome.headers.location).toBe('/me');
    const spage = await studentBrowser.agent
      .get('/me')
      .set('X-Forwarded-For', '198.51.100.42')
      .expect(200);
    expect(spage.text).toContain('My sessions');
    expect(spage.text).toContain('href="/privacy"');
    expect(spage.text).not.toMatch(/style=/);
    await studentBrowser.agent
      .get('/me/growth')
      .set('X-Forwarded-For', '198.51.100.42')
      .expect(403);
  });
});

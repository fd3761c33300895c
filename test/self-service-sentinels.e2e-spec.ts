import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import request from 'supertest';
import { PERMISSION_KEY, PUBLIC_KEY } from '../src/auth/access.decorators';
import { Permission, permissionsOf } from '../src/auth/permissions';
import { apiSignIn, browserSignIn, createUser } from './helpers/auth';
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
import { startTestApp, TestApp } from './helpers/test-app';

/**
 * Seeds sentinel values into everything a tutor must never see (churn scores,
 * risk bands and probabilities, intervention reasons, evidence and notes,
 * manager notes, another tutor's data, students' identities), then walks every
 * GET route a tutor may call, with path parameters filled with the tutor's own
 * ids and with other ids, as an API client and as a browser, and fails on any
 * sentinel in any answer.
 */

const DUMMY_ID = '00000000-0000-4000-8000-000000000000';

interface Route {
  path: string;
}

/** Every GET route Nest registered that a tutor may call (public, or a permission tutors hold). */
function tutorRoutes(t: TestApp): Route[] {
  const tutorPermissions = permissionsOf(['tutor']);
  const discovery = t.app.get(DiscoveryService);
  const scanner = t.app.get(MetadataScanner);
  const routes: Route[] = [];
  for (const wrapper of discovery.getControllers()) {
    const { instance, metatype } = wrapper;
    if (!instance || !metatype) continue;
    const base: string | string[] = Reflect.getMetadata(PATH_METADATA, metatype) ?? '';
    const proto = Object.getPrototypeOf(instance);
    for (const name of scanner.getAllMethodNames(proto)) {
      const handler = proto[name];
      const path: string | string[] | undefined = Reflect.getMetadata(PATH_METADATA, handler);
      if (path === undefined) continue;
      if (RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number] !== 'GET')
        continue;
      const isPublic =
        Reflect.getMetadata(PUBLIC_KEY, handler) ?? Reflect.getMetadata(PUBLIC_KEY, metatype);
      const permission: Permission | undefined =
        Reflect.getMetadata(PERMISSION_KEY, handler) ??
        Reflect.getMetadata(PERMISSION_KEY, metatype);
      if (!isPublic && !(permission && tutorPermissions.has(permission))) continue;
      for (const b of ([] as string[]).concat(base))
        for (const p of ([] as string[]).concat(path))
          routes.push({
            path:
              '/' +
              [b, p]
                .flatMap((x) => x.split('/'))
                .filter(Boolean)
                .join('/'),
          });
    }
  }
  return routes;
}

/**
 * The FERPA education record (GET /api/v1/students/:id/education-record) lets a tutor
 * read the record of a student they taught, without the student's name, contact details
 * or upstream id; the tutor's GDPR access archive lists their sessions with the students'
 * internal ids (pseudonymous keys). Only there, and only for the tutor's own student, is
 * that internal id not counted; every other sentinel, the student's name included, is.
 */
const isEducationRecordOf = (path: string, studentId: string) =>
  path === `/api/v1/students/${studentId}/education-record`;

/**
 * The tutor's own GDPR access archive must contain their scores (issue 9): on
 * such a route only the other sentinels count.
 */
const isOwnAccessArchive = (path: string) =>
  /privacy/.test(path) && /export|archive|download/.test(path);

describe('self-service: nothing a tutor must not see reaches them', () => {
  let t: TestApp;
  let me: SeededTutor;
  let other: SeededTutor;
  let s1: SeededStudent;
  let s2: SeededStudent;
  const ownScoreSentinels: string[] = [];
  const otherSentinels: string[] = [];
  const ids: string[] = [];
  let accessRequestId = '';

  beforeAll(async () => {
    t = await startTestApp();
    me = await seedTutor(t, { name: 'Tess Tutor' });
    other = await seedTutor(t, {
      name: 'SENTINEL-OTHER-TUTOR-NAME Qz',
      email: 'sentinel.other.tutor@example.invalid',
    });
    s1 = await seedStudent(t, { name: 'SENTINELSTUDENTONE Zxq' });
    s2 = await seedStudent(t, { name: 'SENTINELSTUDENTTWO Zxq' });
    await seedSessionWithFeedback(t, me, s1, 6, { overallRating: 4, freeText: 'Helpful session.' });
    await seedSessionWithFeedback(t, me, s1, 3, { overallRating: 5, freeText: 'Great again.' });
    await seedSessionWithFeedback(t, other, s2, 4, {
      overallRating: 2,
      freeText: 'SENTINEL-OTHER-FEEDBACK',
    });
    await waitForIdle(t);
    for (const w of [7, 30, 90]) await seedSnapshot(t, me.id, w, {});
    await seedSnapshot(t, other.id, 30, { avgRating: 1.234, engagementScore: 12.345 });
    await seedTier(t, me.id, 'Developing', 12);

    ownScoreSentinels.push(
      ...['87.123', '86.987', '88.321', '84.567', '87.12', '88.32'],
      // Every number's whole part is 60 or more: a time's seconds and milliseconds
      // ("…:43.215Z") could otherwise contain one by chance.
      ...['0.6321', '0.7432', '0.8543', '0.9654', '63.21', '74.32', '85.43', '96.54'],
      ...['SENTINEL-FACTOR-LABEL', 'sentinel_feature', '61.415', '72.182', 'SENTINEL-MODEL-V'],
      ...['SENTINEL-OVERRIDE-REASON', '0.6789', '67.89', 'SENTINEL-FSP-FACTOR', 'churnScore'],
    );

    // Interventions with reasons, evidence and notes; one for the other tutor too.
    const manager = await managerToken(t);
    const coaching = await createIntervention(
      t,
      manager,
      me.id,
      'manager_coaching',
      'SENTINEL-IV-REASON-1',
    );
    const retention = await createIntervention(
      t,
      manager,
      me.id,
      'retention_interview',
      'SENTINEL-IV-REASON-2',
    );
    const others = await createIntervention(
      t,
      manager,
      other.id,
      'peer_mentoring',
      'SENTINEL-OTHER-IV',
    );
    await t.dataSource.query(
      `UPDATE interventions SET evidence = '{"sentinel": "SENTINEL-IV-EVIDENCE"}'::jsonb WHERE tutor_id = ANY($1)`,
      [[me.id, other.id]],
    );
    for (const id of [coaching, retention])
      await request(t.http)
        .post(`/api/v1/interventions/${id}/notes`)
        .set('Authorization', `Bearer ${manager}`)
        .send({ body: 'SENTINEL-IV-NOTE' })
        .expect(201);
    const [notes]: { exists: boolean }[] = await t.dataSource.query(
      "SELECT to_regclass('tutor_manager_notes') IS NOT NULL AS exists",
    );
    if (notes.exists)
      await t.dataSource.query(
        `INSERT INTO tutor_manager_notes (tutor_id, body, created_at) VALUES ($1, 'SENTINEL-MANAGER-NOTE', now())`,
        [me.id],
      );
    const messageId = await seedSentMessage(t, me.id, coaching, {
      reason: 'SENTINEL-MESSAGE-REASON',
      tutorName: me.name,
    });
    otherSentinels.push(
      ...[
        'SENTINEL-IV-REASON-1',
        'SENTINEL-IV-REASON-2',
        'SENTINEL-IV-EVIDENCE',
        'SENTINEL-IV-NOTE',
      ],
      ...['SENTINEL-MANAGER-NOTE', 'SENTINEL-MESSAGE-REASON', 'SENTINEL-OTHER-IV'],
      ...['SENTINEL-OTHER-TUTOR-NAME', 'sentinel.other.tutor', other.id, other.externalId],
      ...['SENTINEL-OTHER-FEEDBACK', '1.234', '12.345'],
      ...['SENTINELSTUDENTONE', 'SENTINELSTUDENTTWO', s1.id, s2.id, s1.externalId, s2.externalId],
    );
    ids.push(
      me.id,
      me.userId,
      other.id,
      s1.id,
      s2.id,
      coaching,
      retention,
      others,
      messageId,
      DUMMY_ID,
    );
    // The tutor's own GDPR access request, completed: its archive is walked too.
    const access = await request(t.http)
      .post('/api/v1/privacy/requests')
      .set('Authorization', `Bearer ${me.token}`)
      .send({ kind: 'access' })
      .expect(201);
    accessRequestId = access.body.id as string;
    ids.push(accessRequestId);
    // Scoring may have run on the seeded records: the sentinel risk goes in once all is quiet.
    await waitForIdle(t);
    // Churn risk, score history and first-session risk.
    const probabilities = JSON.stringify({ '1': 0.6321, '7': 0.7432, '30': 0.8543, '90': 0.9654 });
    const factors = JSON.stringify([
      {
        feature: 'sentinel_feature',
        label: 'SENTINEL-FACTOR-LABEL',
        value: 61.415,
        contribution: 72.182,
      },
    ]);
    await t.dataSource.query(
      `INSERT INTO tutor_risk (tutor_id, churn_score, band, scored_score, probabilities, top_factors,
         model_version, as_of, scored_at, override_score, override_reason, override_expires_at)
       VALUES ($1, 87.123, 'critical', 86.987, $2, $3, 'SENTINEL-MODEL-V', current_date, now(),
               88.321, 'SENTINEL-OVERRIDE-REASON', now() + interval '7 days')
       ON CONFLICT (tutor_id) DO UPDATE SET churn_score = EXCLUDED.churn_score, band = EXCLUDED.band,
         scored_score = EXCLUDED.scored_score, probabilities = EXCLUDED.probabilities,
         top_factors = EXCLUDED.top_factors, model_version = EXCLUDED.model_version,
         override_score = EXCLUDED.override_score, override_reason = EXCLUDED.override_reason,
         override_expires_at = EXCLUDED.override_expires_at`,
      [me.id, probabilities, factors],
    );
    await t.dataSource.query(
      `INSERT INTO tutor_risk_scores (tutor_id, as_of, churn_score, band, probabilities, top_factors,
         model_version, scored_at)
       VALUES ($1, current_date - 1, 84.567, 'critical', $2, $3, 'SENTINEL-MODEL-V', now())`,
      [me.id, probabilities, factors],
    );
    const [session]: { id: string; student_id: string }[] = await t.dataSource.query(
      'SELECT id, student_id FROM sessions WHERE tutor_id = $1 ORDER BY scheduled_start LIMIT 1',
      [me.id],
    );
    await t.dataSource.query(
      `INSERT INTO first_session_predictions (session_id, tutor_id, student_id, scheduled_start, risk,
         top_factors, model_version, scored_at)
       VALUES ($1, $2, $3, now(), 0.6789, $4, 'SENTINEL-MODEL-V', now())
       ON CONFLICT (session_id) DO UPDATE SET risk = EXCLUDED.risk,
         top_factors = EXCLUDED.top_factors, model_version = EXCLUDED.model_version`,
      [
        session.id,
        me.id,
        session.student_id,
        JSON.stringify([{ feature: 'x', label: 'SENTINEL-FSP-FACTOR', value: 1, contribution: 1 }]),
      ],
    );
    const admin = await createUser(t, ['admin']);
    const { accessToken } = await apiSignIn(t, admin.email, admin.password, '198.51.100.62');
    await request(t.http)
      .post(`/api/v1/compliance/gdpr-requests/${accessRequestId}/complete`)
      .set('Authorization', `Bearer ${accessToken}`)
      .expect(201);
  }, 180_000);
  afterAll(() => t.close());

  it('walks every GET route a tutor can reach and finds no sentinel', async () => {
    const routes = tutorRoutes(t);
    expect(routes.map((r) => r.path)).toEqual(
      expect.arrayContaining([
        '/me',
        '/me/inbox',
        '/api/v1/me/tutor/overview',
        '/api/v1/me/tutor/inbox',
      ]),
    );
    const browser = await browserSignIn(t, me.email, me.password, '198.51.100.61');
    const urls = new Set<string>();
    for (const route of routes) {
      if (!route.path.includes(':')) urls.add(route.path);
      else for (const id of ids) urls.add(route.path.replace(/:[A-Za-z]+/g, id));
    }
    urls.add('/api/v1/me/tutor/feedback?limit=500');
    const leaks: string[] = [];
    const names = new Map([
      [s1.id, 'the id of a student the tutor taught'],
      [s1.externalId, 'the upstream id of a student the tutor taught'],
      [s2.id, 'the id of another tutor’s student'],
      [other.id, 'the id of another tutor'],
    ]);
    const failures: string[] = [];
    let checked = 0;
    // The archive first: it holds the tutor's own audit trail, which would otherwise list the
    // other ids this walk itself puts in URLs.
    const ordered = [...urls].sort(
      (a, b) => Number(isOwnAccessArchive(b)) - Number(isOwnAccessArchive(a)),
    );
    for (const url of ordered) {
      const ownStudent = isEducationRecordOf(url, s1.id)
        ? [s1.id]
        : isOwnAccessArchive(url)
          ? [s1.id]
          : [];
      // A sentinel the caller put in the URL (an id echoed in a 404) discloses nothing.
      const sentinels = (
        isOwnAccessArchive(url) ? otherSentinels : [...ownScoreSentinels, ...otherSentinels]
      ).filter((s) => !url.includes(s) && !ownStudent.includes(s));
      const answers = [
        await request(t.http)
          .get(url)
          .set('Authorization', `Bearer ${me.token}`)
          .set('Accept', 'application/json')
          .set('X-Forwarded-For', '198.51.100.60'),
        await browser.agent
          .get(url)
          .set('Accept', 'text/html')
          .set('X-Forwarded-For', '198.51.100.61'),
      ];
      for (const res of answers) {
        checked++;
        if (res.status >= 500) failures.push(`${url}: ${res.status}`);
        const body = res.text ?? '';
        const headers = JSON.stringify(res.headers);
        for (const s of sentinels)
          if (body.includes(s) || headers.includes(s))
            leaks.push(`${url} (${res.status}) shows ${names.get(s) ?? s}`);
      }
    }
    console.log(
      `self-service sentinels: ${urls.size} URLs × 2 clients = ${checked} answers checked`,
    );
    expect(failures).toEqual([]);
    expect(leaks).toEqual([]);
  });

  it('shows the tutor their own tier, coaching and message (so the walk saw real pages)', async () => {
    const inbox = await request(t.http)
      .get('/api/v1/me/tutor/inbox')
      .set('Authorization', `Bearer ${me.token}`)
      .expect(200);
    expect(inbox.body.support).toHaveLength(1);
    expect(inbox.body.messages).toHaveLength(1);
    const overview = await request(t.http)
      .get('/api/v1/me/tutor/overview')
      .set('Authorization', `Bearer ${me.token}`)
      .expect(200);
    expect(overview.body.tier.tier).toBe('Developing');
    const feedback = await request(t.http)
      .get('/api/v1/me/tutor/feedback')
      .set('Authorization', `Bearer ${me.token}`)
      .expect(200);
    expect(feedback.body.items).toHaveLength(2);
    // The one place the tutor's own score belongs: their access archive.
    const archive = await request(t.http)
      .get(`/api/v1/privacy/requests/${accessRequestId}/archive`)
      .set('Authorization', `Bearer ${me.token}`)
      .expect(200);
    expect(archive.text).toContain('87.123');
  });
});

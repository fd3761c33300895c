import request from 'supertest';
import { User } from '../src/auth/entities/user.entity';
import { apiSignIn, browserSignIn, createUser, csrfFrom } from './helpers/auth';
import { tutorItem } from './helpers/fixtures';
import { startSmtpSink, SmtpSink } from './helpers/smtp-sink';
import { startTestApp, TestApp } from './helpers/test-app';

describe('admin: users and API keys', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let admin: Awaited<ReturnType<typeof createUser>>;
  let bearer: string;
  const api = () => ({
    get: (path: string) => request(t.http).get(path).set('Authorization', `Bearer ${bearer}`),
    post: (path: string, body?: object) =>
      request(t.http)
        .post(path)
        .set('Authorization', `Bearer ${bearer}`)
        .send(body ?? {}),
    patch: (path: string, body: object) =>
      request(t.http).patch(path).set('Authorization', `Bearer ${bearer}`).send(body),
    delete: (path: string) => request(t.http).delete(path).set('Authorization', `Bearer ${bearer}`),
  });

  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await startTestApp({ SMTP_URL: sink.url, PUBLIC_URL: 'http://tutormax.test' });
    admin = await createUser(t, ['admin']);
    bearer = (await apiSignIn(t, admin.email, admin.password, '10.0.0.1')).accessToken;
  });
  afterAll(async () => {
    await t.close();
    await sink.close();
  });

  it('invites a user, who sets their own password from the emailed link and signs in', async () => {
    const before = sink.messages.length;
    const res = await api()
      .post('/api/v1/admin/users', {
        email: 'New.Manager@Example.invalid',
        fullName: 'New Manager',
        roles: ['operations_manager'],
      })
      .expect(201);
    expect(res.body).toMatchObject({
      email: 'new.manager@example.invalid',
      roles: ['operations_manager'],
      isActive: true,
    });
    // the invited user has no password until they choose one
    await request(t.http)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', '10.0.0.2')
      .send({ email: 'new.manager@example.invalid', password: '' })
      .expect(400);
    const [mail] = (await sink.waitFor(before + 1)).slice(before);
    expect(mail.subject).toBe('You have been invited to TutorMax');
    const token = /set-password\?token=([A-Za-z0-9_-]+)/.exec(mail.text ?? '')![1];

    const agent = request.agent(t.http);
    const form = await agent.get(`/set-password?token=${token}`).expect(200);
    await agent
      .post('/set-password')
      .type('form')
      .send({ _csrf: csrfFrom(form.text), token, password: 'my-own-choice-of-words' })
      .expect(303);
    await apiSignIn(t, 'new.manager@example.invalid', 'my-own-choice-of-words', '10.0.0.3');
    // the link worked once
    const again = await agent.get(`/set-password?token=${token}`).expect(400);
    expect(again.text).toContain('This link is not valid any more');
  });

  it('never lets an admin choose a password for someone else', async () => {
    const res = await api()
      .post('/api/v1/admin/users', {
        email: 'pw@example.invalid',
        fullName: 'Pw',
        roles: [],
        password: 'chosen-by-admin-123',
      })
      .expect(400);
    expect(res.body.details).toEqual([
      { field: 'password', message: 'password is not a known field' },
    ]);
  });

  it('refuses a duplicate email with 409 and unknown roles with 400', async () => {
    await api()
      .post('/api/v1/admin/users', { email: admin.email, fullName: 'Dup', roles: [] })
      .expect(409);
    const bad = await api()
      .post('/api/v1/admin/users', {
        email: 'r@example.invalid',
        fullName: 'R',
        roles: ['superuser'],
      })
      .expect(400);
    expect(bad.body.details[0]).toMatchObject({ field: 'roles' });
  });

  it('lists users with search, role filter and pagination', async () => {
    for (let i = 0; i < 3; i++)
      await createUser(t, ['tutor'], {
        email: `search.tutor${i}@example.invalid`,
        fullName: `Searchable Tutor ${i}`,
      });
    const found = await api()
      .get('/api/v1/admin/users?q=searchable&role=tutor&limit=2')
      .expect(200);
    expect(found.body.items.map((u: { email: string }) => u.email)).toEqual([
      'search.tutor0@example.invalid',
      'search.tutor1@example.invalid',
    ]);
    const next = await api()
      .get(`/api/v1/admin/users?q=searchable&role=tutor&limit=2&cursor=${found.body.nextCursor}`)
      .expect(200);
    expect(next.body.items.map((u: { email: string }) => u.email)).toEqual([
      'search.tutor2@example.invalid',
    ]);
    expect(next.body.nextCursor).toBeNull();
  });

  it('edits roles (ending the user’s sessions), deactivates and reactivates', async () => {
    const user = await createUser(t, ['people_ops']);
    const session = await apiSignIn(t, user.email, user.password, '10.0.0.4');
    const changed = await api()
      .patch(`/api/v1/admin/users/${user.id}`, { roles: ['people_ops', 'operations_manager'] })
      .expect(200);
    expect(changed.body.roles).toEqual(['people_ops', 'operations_manager']);
    await request(t.http)
      .get('/api/v1/me')
      .set('Authorization', `Bearer ${session.accessToken}`)
      .expect(401);
    expect(
      (await api().post(`/api/v1/admin/users/${user.id}/deactivate`).expect(200)).body.isActive,
    ).toBe(false);
    await request(t.http)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', '10.0.0.4')
      .send({ email: user.email, password: user.password })
      .expect(401);
    expect(
      (await api().post(`/api/v1/admin/users/${user.id}/reactivate`).expect(200)).body.isActive,
    ).toBe(true);
    await apiSignIn(t, user.email, user.password, '10.0.0.5');
  });

  it('keeps the last active admin: demoting or deactivating them answers 409', async () => {
    const res = await api().post(`/api/v1/admin/users/${admin.id}/deactivate`).expect(409);
    expect(res.body.message).toMatch(/last active admin/);
    await api()
      .patch(`/api/v1/admin/users/${admin.id}`, { roles: ['tutor'] })
      .expect(409);
  });

  it('bulk-adds a role and bulk-deactivates, all or nothing', async () => {
    const a = await createUser(t, ['tutor']);
    const b = await createUser(t, ['tutor']);
    expect(
      (
        await api()
          .post('/api/v1/admin/users/bulk', {
            userIds: [a.id, b.id],
            action: 'add_role',
            role: 'student',
          })
          .expect(200)
      ).body,
    ).toEqual({ changed: 2 });
    await api()
      .post('/api/v1/admin/users/bulk', {
        userIds: [a.id, '00000000-0000-4000-8000-000000000000'],
        action: 'deactivate',
      })
      .expect(404);
    const stillActive = await t.dataSource.getRepository(User).findOneByOrFail({ id: a.id });
    expect(stillActive.isActive).toBe(true);
    expect(
      (
        await api()
          .post('/api/v1/admin/users/bulk', { userIds: [a.id, b.id], action: 'deactivate' })
          .expect(200)
      ).body,
    ).toEqual({ changed: 2 });
    expect(
      (
        await api()
          .post('/api/v1/admin/users/bulk', { userIds: [a.id], action: 'add_role' })
          .expect(400)
      ).body.message,
    ).toBe('role is required for add_role');
  });

  describe('CSV import', () => {
    const csv = [
      'email,full_name,roles',
      'csv.one@example.invalid,CSV One,tutor',
      'not-an-email,CSV Two,tutor',
      'csv.three@example.invalid,,people_ops;wizard',
      'csv.one@example.invalid,CSV One Again,tutor',
      'csv.four@example.invalid,CSV Four,operations_manager;people_ops',
    ].join('\n');
    const count = async () =>
      Number(
        (
          await t.dataSource.query(`SELECT count(*)::int AS n FROM users WHERE email LIKE 'csv.%'`)
        )[0].n,
      );

    it('a dry run shows each bad row’s problems and writes nothing', async () => {
      const res = await api().post('/api/v1/admin/users/import', { csv, dryRun: true }).expect(200);
      expect(res.body).toMatchObject({ dryRun: true, rows: 5, valid: 2, invalid: 3, created: 0 });
      expect(res.body.errors).toEqual([
        {
          line: 3,
          email: 'not-an-email',
          errors: [{ field: 'email', message: 'not an email address' }],
        },
        {
          line: 4,
          email: 'csv.three@example.invalid',
          errors: [
            { field: 'full_name', message: 'is required' },
            { field: 'roles', message: expect.stringMatching(/^unknown role\(s\): wizard/) },
          ],
        },
        {
          line: 5,
          email: 'csv.one@example.invalid',
          errors: [{ field: 'email', message: 'repeats line 2' }],
        },
      ]);
      expect(await count()).toBe(0);
    });

    it('a real import with bad rows writes nothing; a clean one creates everyone and invites them', async () => {
      const refused = await api()
        .post('/api/v1/admin/users/import', { csv, dryRun: false })
        .expect(200);
      expect(refused.body.created).toBe(0);
      expect(await count()).toBe(0);
      const clean =
        'email,full_name,roles\ncsv.a@example.invalid,CSV A,tutor\ncsv.b@example.invalid,CSV B,people_ops;operations_manager\n';
      const before = sink.messages.length;
      const done = await api()
        .post('/api/v1/admin/users/import', { csv: clean, dryRun: false })
        .expect(200);
      expect(done.body).toMatchObject({ created: 2, invalid: 0 });
      expect(await count()).toBe(2);
      const mails = (await sink.waitFor(before + 2)).slice(before);
      expect(mails.map((m) => (m.to && 'text' in m.to ? m.to.text : '')).sort()).toEqual([
        'csv.a@example.invalid',
        'csv.b@example.invalid',
      ]);
    });

    it('checks up to 10,000 rows in one dry run', async () => {
      const rows = Array.from(
        { length: 10_000 },
        (_, i) => `bulk${i}@example.invalid,Bulk ${i},${i === 9_999 ? 'nope' : 'tutor'}`,
      );
      const res = await api()
        .post('/api/v1/admin/users/import', {
          csv: ['email,full_name,roles', ...rows].join('\n'),
          dryRun: true,
        })
        .expect(200);
      expect(res.body).toMatchObject({ rows: 10_000, valid: 9_999, invalid: 1 });
      expect(res.body.errors[0].line).toBe(10_001);
      const tooMany = await api()
        .post('/api/v1/admin/users/import', {
          csv: ['email,full_name,roles', ...rows, 'x@example.invalid,X,tutor'].join('\n'),
        })
        .expect(200);
      expect(tooMany.body.errors[0].errors[0].message).toMatch(/at most 10000/);
    });
  });

  describe('API keys', () => {
    it('creates a key shown once and stored hashed, which writes tutoring records; revoking it shuts it out', async () => {
      const created = await api()
        .post('/api/v1/admin/api-keys', {
          name: 'scheduler',
          permissions: ['tutoring.read', 'tutoring.write'],
        })
        .expect(201);
      const secret: string = created.body.secret;
      expect(secret).toMatch(/^tmk_/);
      const [row] = await t.dataSource.query(
        'SELECT key_hash, prefix FROM api_keys WHERE id = $1',
        [created.body.id],
      );
      expect(row.key_hash).not.toContain(secret);
      expect(JSON.stringify(row)).not.toContain(secret);
      const listed = await api().get('/api/v1/admin/api-keys').expect(200);
      expect(JSON.stringify(listed.body)).not.toContain(secret);

      await request(t.http)
        .post('/api/v1/tutors')
        .set('X-API-Key', secret)
        .send({ items: [tutorItem()] })
        .expect(200);
      // a machine key never administers
      await request(t.http).get('/api/v1/admin/users').set('X-API-Key', secret).expect(403);
      await api().delete(`/api/v1/admin/api-keys/${created.body.id}`).expect(200);
      await request(t.http)
        .post('/api/v1/tutors')
        .set('X-API-Key', secret)
        .send({ items: [tutorItem()] })
        .expect(401);
    });

    it('records key creation and revocation with the admin as actor', async () => {
      const created = await api()
        .post('/api/v1/admin/api-keys', { name: 'audited', permissions: ['tutoring.read'] })
        .expect(201);
      await api().delete(`/api/v1/admin/api-keys/${created.body.id}`).expect(200);
      const rows = await t.dataSource.query(
        `SELECT action, actor_type, actor_id FROM audit_log WHERE resource_type = 'api_key' AND resource_id = $1 ORDER BY seq`,
        [created.body.id],
      );
      expect(rows).toEqual([
        { action: 'api_key.created', actor_type: 'user', actor_id: admin.id },
        { action: 'api_key.revoked', actor_type: 'user', actor_id: admin.id },
      ]);
      expect(
        JSON.stringify(await t.dataSource.query('SELECT details FROM audit_log')),
      ).not.toContain(created.body.secret);
    });

    it('refuses to give a key more than tutoring permissions', async () => {
      const res = await api()
        .post('/api/v1/admin/api-keys', { name: 'too much', permissions: ['users.manage'] })
        .expect(400);
      expect(res.body.details[0].field).toBe('permissions');
    });
  });

  describe('pages', () => {
    it('admins get the users page; other staff get a 403 page', async () => {
      const browser = await browserSignIn(t, admin.email, admin.password, '10.0.0.20');
      const page = await browser.agent.get('/admin/users?q=searchable').expect(200);
      expect(page.text).toContain('Searchable Tutor 0');
      expect(page.text).toContain('Invite a user');
      const manager = await createUser(t, ['operations_manager']);
      const other = await browserSignIn(t, manager.email, manager.password, '10.0.0.21');
      const refused = await other.agent.get('/admin/users').expect(403);
      expect(refused.text).toContain('Not allowed');
      expect(refused.headers['content-type']).toMatch(/html/);
    });

    it('an admin invites through the form and sees the dry-run report on the import page', async () => {
      const browser = await browserSignIn(t, admin.email, admin.password, '10.0.0.22');
      const token = await browser.csrf('/admin/users/new');
      const res = await browser.agent
        .post('/admin/users')
        .type('form')
        .send({
          _csrf: token,
          email: 'form.invite@example.invalid',
          fullName: 'Form Invite',
          roles: 'people_ops',
        })
        .expect(303);
      expect(res.headers.location).toMatch(/^\/admin\/users\/[0-9a-f-]{36}\?notice=invited$/);
      const check = await browser.agent
        .post('/admin/users/import')
        .type('form')
        .send({
          _csrf: await browser.csrf('/admin/users/import'),
          csv: 'email,full_name,roles\nbad,Bad,tutor\n',
          action: 'check',
        })
        .expect(400);
      expect(check.text).toContain('not an email address');
    });
  });
});

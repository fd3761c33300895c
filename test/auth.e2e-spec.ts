import request from 'supertest';
import { LockoutService } from '../src/auth/lockout.service';
import { User } from '../src/auth/entities/user.entity';
import { UsersService } from '../src/auth/users.service';
import { apiSignIn, browserSignIn, createUser, csrfFrom, STRONG_PASSWORD } from './helpers/auth';
import { startSmtpSink, SmtpSink } from './helpers/smtp-sink';
import { startTestApp, TestApp } from './helpers/test-app';

describe('identity: sign-in, tokens, sessions', () => {
  let t: TestApp;
  let sink: SmtpSink;
  const ADMIN = { email: 'first.admin@example.invalid', password: 'a-long-admin-passphrase-77' };

  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await startTestApp({
      SMTP_URL: sink.url,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      PUBLIC_URL: 'http://tutormax.test',
    });
  });
  afterAll(async () => {
    await t.close();
    await sink.close();
  });

  it('creates the first admin from ADMIN_EMAIL and ADMIN_PASSWORD at boot', async () => {
    const tokens = await apiSignIn(t, ADMIN.email, ADMIN.password, '192.0.2.1');
    const me = await request(t.http)
      .get('/api/v1/me')
      .set('Authorization', `Bearer ${tokens.accessToken}`)
      .expect(200);
    expect(me.body).toMatchObject({ email: ADMIN.email, roles: ['admin'] });
    expect(me.body.permissions).toEqual(expect.arrayContaining(['users.manage', 'audit.read']));
  });

  it('issues a 15-minute HS256 access token and refuses a wrong password without saying which part was wrong', async () => {
    const user = await createUser(t, ['operations_manager']);
    const tokens = await apiSignIn(t, user.email.toUpperCase(), user.password, '192.0.2.2');
    expect(tokens.expiresIn).toBe(900);
    const header = JSON.parse(
      Buffer.from(tokens.accessToken.split('.')[0], 'base64url').toString(),
    );
    expect(header.alg).toBe('HS256');
    const bad = await request(t.http)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', '192.0.2.2')
      .send({ email: user.email, password: 'nope-nope-nope' })
      .expect(401);
    expect(bad.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'Email or password is not right',
    });
    const unknown = await request(t.http)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', '192.0.2.2')
      .send({ email: 'ghost@example.invalid', password: 'whatever-whatever' })
      .expect(401);
    expect(unknown.body.message).toBe(bad.body.message);
  });

  it('refuses a token signed with another algorithm', async () => {
    const user = await createUser(t, ['people_ops']);
    const tokens = await apiSignIn(t, user.email, user.password, '192.0.2.3');
    const [, payload] = tokens.accessToken.split('.');
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
    await request(t.http).get('/api/v1/me').set('Authorization', `Bearer ${none}`).expect(401);
  });

  it('rotates refresh tokens, and a reused one is refused and ends its whole family', async () => {
    const user = await createUser(t, ['people_ops']);
    const first = await apiSignIn(t, user.email, user.password, '192.0.2.4');
    const second = await request(t.http)
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: first.refreshToken })
      .expect(200);
    expect(second.body.refreshToken).not.toBe(first.refreshToken);
    const reuse = await request(t.http)
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: first.refreshToken })
      .expect(401);
    expect(reuse.body.message).toMatch(/already used/);
    // the thief's replay also killed the legitimate successor
    await request(t.http)
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: second.body.refreshToken })
      .expect(401);
  });

  it('logout revokes the refresh token', async () => {
    const user = await createUser(t, ['tutor']);
    const tokens = await apiSignIn(t, user.email, user.password, '192.0.2.5');
    await request(t.http)
      .post('/api/v1/auth/logout')
      .send({ refreshToken: tokens.refreshToken })
      .expect(204);
    await request(t.http)
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: tokens.refreshToken })
      .expect(401);
  });

  it('locks an account for one IP after 5 failures (429 with Retry-After), not for other IPs', async () => {
    const user = await createUser(t, ['operations_manager']);
    const attempt = (ip: string, password: string) =>
      request(t.http)
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ email: user.email, password });
    for (let i = 0; i < 4; i++) await attempt('192.0.2.66', 'wrong-password-here').expect(401);
    const locked = await attempt('192.0.2.66', 'wrong-password-here').expect(429);
    expect(locked.body.message).toMatch(
      /Too many failed sign-ins for this account from your address/,
    );
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
    expect(await t.app.get(LockoutService).lockedFor(user.email, '192.0.2.66')).toBeGreaterThan(
      800,
    );
    // the manager can still sign in from their own address
    await attempt('192.0.2.77', user.password).expect(200);
  });

  it('rate-limits sign-in to 5 per minute per IP across accounts', async () => {
    const ip = '192.0.2.99';
    for (let i = 0; i < 5; i++) {
      await request(t.http)
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ email: `nobody${i}@example.invalid`, password: 'wrong-password-x' })
        .expect(401);
    }
    const limited = await request(t.http)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', ip)
      .send({ email: 'x@example.invalid', password: 'wrong-password-x' })
      .expect(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
  });

  it('ends sessions at once when a user is deactivated or their roles change', async () => {
    const user = await createUser(t, ['operations_manager']);
    const tokens = await apiSignIn(t, user.email, user.password, '192.0.2.8');
    const bearer = () =>
      request(t.http).get('/api/v1/tutors').set('Authorization', `Bearer ${tokens.accessToken}`);
    await bearer().expect(200);
    await t.app.get(UsersService).setRoles(user.id, ['people_ops']);
    await bearer().expect(401);
    await request(t.http)
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: tokens.refreshToken })
      .expect(401);

    const again = await apiSignIn(t, user.email, user.password, '192.0.2.8');
    await t.app.get(UsersService).setActive(user.id, false);
    await request(t.http)
      .get('/api/v1/me')
      .set('Authorization', `Bearer ${again.accessToken}`)
      .expect(401);
    await request(t.http)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', '192.0.2.8')
      .send({ email: user.email, password: user.password })
      .expect(401);
  });

  it('will not demote or deactivate the last active admin', async () => {
    const [admin] = await t.dataSource.getRepository(User).findBy({ email: ADMIN.email });
    await expect(t.app.get(UsersService).setActive(admin.id, false)).rejects.toThrow(
      /last active admin/,
    );
    await expect(
      t.app.get(UsersService).setRoles(admin.id, ['operations_manager']),
    ).rejects.toThrow(/last active admin/);
  });

  describe('passwords', () => {
    it('refuses short and common passwords with a message naming the rule', async () => {
      const user = await createUser(t, ['tutor']);
      const tokens = await apiSignIn(t, user.email, user.password, '192.0.2.11');
      const change = (newPassword: string) =>
        request(t.http)
          .post('/api/v1/auth/password')
          .set('Authorization', `Bearer ${tokens.accessToken}`)
          .send({ currentPassword: user.password, newPassword });
      expect((await change('short-1').expect(400)).body.message).toBe(
        'Password must be at least 12 characters',
      );
      expect((await change('password1234').expect(400)).body.message).toBe(
        'Password is too common; choose another',
      );
      expect((await change('aaaaaaaaaaaaaaaa').expect(400)).body.message).toBe(
        'Password is too common; choose another',
      );
    });

    it('changing a password needs the current one and ends the other sessions', async () => {
      const user = await createUser(t, ['tutor']);
      const here = await apiSignIn(t, user.email, user.password, '192.0.2.12');
      const elsewhere = await apiSignIn(t, user.email, user.password, '192.0.2.13');
      await request(t.http)
        .post('/api/v1/auth/password')
        .set('Authorization', `Bearer ${here.accessToken}`)
        .send({ currentPassword: 'not-the-current-one', newPassword: 'a-brand-new-passphrase-9' })
        .expect(400);
      await request(t.http)
        .post('/api/v1/auth/password')
        .set('Authorization', `Bearer ${here.accessToken}`)
        .send({ currentPassword: user.password, newPassword: 'a-brand-new-passphrase-9' })
        .expect(204);
      await request(t.http)
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: elsewhere.refreshToken })
        .expect(401);
      await request(t.http)
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: here.refreshToken })
        .expect(200);
      await apiSignIn(t, user.email, 'a-brand-new-passphrase-9', '192.0.2.12');
    });

    it('resets a password through a single-use emailed link', async () => {
      const user = await createUser(t, ['people_ops']);
      const other = await apiSignIn(t, user.email, user.password, '192.0.2.14');
      const before = sink.messages.length;
      await request(t.http)
        .post('/api/v1/auth/password-reset')
        .set('X-Forwarded-For', '192.0.2.14')
        .send({ email: user.email })
        .expect(202);
      // unknown addresses get the same answer and no mail
      await request(t.http)
        .post('/api/v1/auth/password-reset')
        .set('X-Forwarded-For', '192.0.2.14')
        .send({ email: 'ghost@example.invalid' })
        .expect(202);
      const [mail] = (await sink.waitFor(before + 1)).slice(before);
      expect(mail.subject).toBe('Reset your TutorMax password');
      const link = /http:\/\/tutormax\.test\/reset-password\?token=([A-Za-z0-9_-]+)/.exec(
        mail.text ?? '',
      );
      expect(link).not.toBeNull();
      const token = link![1];

      const page = await request(t.http).get(`/reset-password?token=${token}`).expect(200);
      expect(page.text).toContain('Choose a new password');
      await request(t.http)
        .post('/api/v1/auth/password-reset/confirm')
        .send({ token, password: 'reset-to-this-passphrase-1' })
        .expect(204);
      const reused = await request(t.http)
        .post('/api/v1/auth/password-reset/confirm')
        .send({ token, password: 'and-again-passphrase-22' })
        .expect(400);
      expect(reused.body.message).toMatch(/not valid any more/);
      await request(t.http)
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: other.refreshToken })
        .expect(401);
      await request(t.http)
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', '192.0.2.15')
        .send({ email: user.email, password: user.password })
        .expect(401);
      await apiSignIn(t, user.email, 'reset-to-this-passphrase-1', '192.0.2.15');
    });

    it('rate-limits reset requests to 3 per hour per IP', async () => {
      const ip = '192.0.2.200';
      for (let i = 0; i < 3; i++) {
        await request(t.http)
          .post('/api/v1/auth/password-reset')
          .set('X-Forwarded-For', ip)
          .send({ email: `x${i}@example.invalid` })
          .expect(202);
      }
      await request(t.http)
        .post('/api/v1/auth/password-reset')
        .set('X-Forwarded-For', ip)
        .send({ email: 'y@example.invalid' })
        .expect(429);
    });
  });

  describe('browser session', () => {
    it('sends signed-out visitors to the sign-in page and back after signing in', async () => {
      const res = await request(t.http)
        .get('/admin/users?q=x')
        .set('Accept', 'text/html')
        .expect(303);
      expect(res.headers.location).toBe('/login?next=%2Fadmin%2Fusers%3Fq%3Dx');
    });

    it('keeps the session in httpOnly SameSite=Lax cookies and shows the start page', async () => {
      const user = await createUser(t, ['operations_manager']);
      const agent = request.agent(t.http);
      const form = await agent.get('/login').expect(200);
      expect(form.text).not.toContain('Sign in with Google'); // not configured here
      const res = await agent
        .post('/login')
        .type('form')
        .send({ email: user.email, password: user.password, _csrf: csrfFrom(form.text) })
        .expect(303);
      const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
      const session = cookies.filter((c) => /^tm_(at|rt)=/.test(c));
      expect(session).toHaveLength(2);
      for (const c of session) {
        expect(c).toMatch(/HttpOnly/);
        expect(c).toMatch(/SameSite=Lax/);
      }
      const home = await agent.get('/').expect(200);
      expect(home.text).toContain(`You are signed in as <strong>${user.email}</strong>`);
    });

    it('refuses a form post without the CSRF token, and one from another origin', async () => {
      const user = await createUser(t, ['tutor']);
      const browser = await browserSignIn(t, user.email, user.password);
      const noToken = await browser.agent
        .post('/account/password')
        .type('form')
        .send({ currentPassword: user.password, newPassword: 'whatever-long-enough-1' })
        .expect(403);
      expect(noToken.text).toContain('did not come from TutorMax');
      const token = await browser.csrf('/account/password');
      await browser.agent
        .post('/account/password')
        .set('Origin', 'https://evil.example')
        .type('form')
        .send({
          _csrf: token,
          currentPassword: user.password,
          newPassword: 'whatever-long-enough-1',
        })
        .expect(403);
      // the same request from our own page works
      await browser.agent
        .post('/account/password')
        .type('form')
        .send({
          _csrf: token,
          currentPassword: user.password,
          newPassword: 'whatever-long-enough-1',
        })
        .expect(303);
    });

    it('the sign-in form itself needs the CSRF token', async () => {
      const user = await createUser(t, ['tutor']);
      await request(t.http)
        .post('/login')
        .type('form')
        .send({ email: user.email, password: user.password })
        .expect(403);
    });

    it('logout clears the cookies and revokes the session', async () => {
      const user = await createUser(t, ['tutor']);
      const browser = await browserSignIn(t, user.email, user.password);
      const token = await browser.csrf('/');
      const res = await browser.agent
        .post('/logout')
        .type('form')
        .send({ _csrf: token })
        .expect(303);
      expect(res.headers.location).toBe('/login?notice=signed-out');
      expect(([] as string[]).concat(res.headers['set-cookie'] ?? []).join(';')).toMatch(/tm_rt=;/);
      await browser.agent.get('/').set('Accept', 'text/html').expect(303);
    });

    it('a deactivated user is signed out of the browser at once', async () => {
      const user = await createUser(t, ['people_ops']);
      const browser = await browserSignIn(t, user.email, user.password);
      await browser.agent.get('/').expect(200);
      await t.app.get(UsersService).setActive(user.id, false);
      const res = await browser.agent.get('/').set('Accept', 'text/html').expect(303);
      expect(res.headers.location).toMatch(/^\/login/);
    });

    it('sets security headers: a CSP without inline scripts, no framing', async () => {
      const res = await request(t.http).get('/login').expect(200);
      const csp = res.headers['content-security-policy'];
      expect(csp).toMatch(/script-src 'self'/);
      expect(csp).not.toMatch(/unsafe-inline/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.text).not.toMatch(/<script>(?!<\/script>)/);
    });
  });

  it('records identity events in the audit log, with ids and never the secrets or emails', async () => {
    const user = await createUser(t, ['people_ops']);
    await request(t.http)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', '192.0.2.140')
      .send({ email: user.email, password: 'wrong-password-zz' })
      .expect(401);
    const tokens = await apiSignIn(t, user.email, user.password, '192.0.2.140');
    await request(t.http)
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: tokens.refreshToken })
      .expect(200);
    await request(t.http)
      .post('/api/v1/auth/refresh')
      .send({ refreshToken: tokens.refreshToken })
      .expect(401);
    await t.app.get(UsersService).setRoles(user.id, ['operations_manager']);
    const rows: {
      action: string;
      outcome: string;
      actor_type: string;
      actor_id: string | null;
      resource_id: string | null;
      details: object;
    }[] = await t.dataSource.query(
      `SELECT action, outcome, actor_type, actor_id, resource_id, details FROM audit_log
         WHERE resource_id = $1 OR actor_id = $1 ORDER BY seq`,
      [user.id],
    );
    const actions = rows.map((r) => `${r.action}:${r.outcome}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'auth.sign_in_failed:failure',
        'auth.sign_in:success',
        'auth.refresh_reuse:denied',
        'user.roles_changed:success',
      ]),
    );
    const signIn = rows.find((r) => r.action === 'auth.sign_in')!;
    expect(signIn).toMatchObject({ actor_type: 'user', actor_id: user.id });
    const text = JSON.stringify(rows);
    expect(text).not.toContain(user.email);
    expect(text).not.toContain(user.password);
    expect(text).not.toContain(tokens.refreshToken);
    expect(rows.find((r) => r.action === 'user.roles_changed')!.details).toEqual({
      added: ['operations_manager'],
      removed: ['people_ops'],
    });
  });

  it('demo passwords are never shown on a page', async () => {
    const page = await request(t.http).get('/login').expect(200);
    expect(page.text).not.toMatch(/password:\s*\S+/i);
    expect(STRONG_PASSWORD).toBeTruthy();
  });
});

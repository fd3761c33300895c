import { randomBytes, randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import request from 'supertest';
import { UserIdentity } from '../src/auth/entities/user-identity.entity';
import { User } from '../src/auth/entities/user.entity';
import { UsersService } from '../src/auth/users.service';
import { REDIS } from '../src/common/redis.module';
import { createUser } from './helpers/auth';
import { MockIdentity, MockOidcServer, startMockOidc } from './helpers/oidc';
import { startTestApp, TestApp } from './helpers/test-app';

type Provider = 'google' | 'microsoft';
type Agent = ReturnType<typeof request.agent>;

const PROVIDERS: Provider[] = ['google', 'microsoft'];
const PUBLIC_URL = 'http://tutormax.test';
const ALLOWED_TENANT = '0f6c1d3e-5a7b-4c2d-9e8f-112233445566';
const OTHER_TENANT = '9a8b7c6d-5e4f-4a3b-8c2d-aabbccddeeff';
const GOOGLE_CLIENT = 'google-client.test';
const MICROSOFT_CLIENT = '6731de76-14a6-49ae-97bc-6eba6914391e';

/** Case × provider → what happened, printed as a table at the end. */
const outcomes = new Map<string, Partial<Record<Provider, string>>>();
const note = (scenario: string, provider: Provider, outcome: string) =>
  outcomes.set(scenario, { ...outcomes.get(scenario), [provider]: outcome });

describe('SSO: Google and Microsoft sign-in against a real OIDC server', () => {
  let mock: MockOidcServer;
  /** Both providers, SSO_DEFAULT_ROLE=tutor. */
  let t: TestApp;
  /** Both providers, no SSO_DEFAULT_ROLE. */
  let noRole: TestApp;
  /** No SSO configured at all. */
  let plain: TestApp;

  const ssoEnv = (issuer: string): Record<string, string> => ({
    PUBLIC_URL,
    GOOGLE_CLIENT_ID: GOOGLE_CLIENT,
    GOOGLE_CLIENT_SECRET: 'google-secret-for-tests',
    GOOGLE_AUTHORIZATION_URL: `${issuer}/authorize`,
    GOOGLE_TOKEN_URL: `${issuer}/token`,
    GOOGLE_USERINFO_URL: `${issuer}/userinfo`,
    MICROSOFT_CLIENT_ID: MICROSOFT_CLIENT,
    MICROSOFT_CLIENT_SECRET: 'microsoft-secret-for-tests',
    MICROSOFT_AUTHORIZATION_URL: `${issuer}/authorize`,
    MICROSOFT_TOKEN_URL: `${issuer}/token`,
    MICROSOFT_TENANTS: ALLOWED_TENANT,
    SSO_ALLOWED_DOMAINS: 'provisioned.example',
  });

  beforeAll(async () => {
    mock = await startMockOidc();
    [t, noRole, plain] = await Promise.all([
      startTestApp({ ...ssoEnv(mock.issuer), SSO_DEFAULT_ROLE: 'tutor' }),
      startTestApp(ssoEnv(mock.issuer)),
      startTestApp({ PUBLIC_URL }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([t?.close(), noRole?.close(), plain?.close()]);
    await mock?.close();
    printOutcomes();
  });

  let seq = 0;
  /** A person at the provider: Google (sub, email_verified) or Microsoft (oid in a tenant). */
  function person(
    provider: Provider,
    email: string,
    overrides: Partial<MockIdentity> = {},
  ): MockIdentity {
    const n = ++seq;
    if (provider === 'google') {
      return {
        sub: `1${Date.now()}${n}`,
        email,
        email_verified: true,
        name: `Google Person ${n}`,
        ...overrides,
      };
    }
    const tid = overrides.tid ?? ALLOWED_TENANT;
    return {
      sub: randomBytes(16).toString('base64url'), // pairwise, per client id
      oid: randomUUID(),
      tid,
      email,
      preferred_username: email,
      name: `Microsoft Person ${n}`,
      iss: `${mock.issuer}/${tid}/v2.0`,
      ...overrides,
    };
  }
  /** What TutorMax stores as the subject: Google `sub`, Microsoft `oid`. */
  const subjectOf = (provider: Provider, identity: MockIdentity) =>
    provider === 'google' ? identity.sub : identity.oid!;

  /** GET /auth/<provider>?next → the provider's /authorize → the callback URL it sends back. */
  async function begin(agent: Agent, provider: Provider, next = '/x') {
    const start = await agent.get(`/auth/${provider}?next=${encodeURIComponent(next)}`);
    expect(start.status).toBe(302);
    const authorize = new URL(String(start.headers.location));
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${mock.issuer}/authorize`);
    expect(authorize.searchParams.get('client_id')).toBe(
      provider === 'google' ? GOOGLE_CLIENT : MICROSOFT_CLIENT,
    );
    expect(authorize.searchParams.get('redirect_uri')).toBe(
      `${PUBLIC_URL}/auth/${provider}/callback`,
    );
    expect(authorize.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('scope')).toBe('openid email profile');
    const back = await fetch(authorize, { redirect: 'manual' });
    expect(back.status).toBe(302);
    const callback = new URL(String(back.headers.get('location')));
    expect(callback.origin).toBe(PUBLIC_URL);
    return `${callback.pathname}${callback.search}`;
  }

  /** The whole round trip in a fresh browser. */
  async function signIn(app: TestApp, provider: Provider, identity: MockIdentity, next = '/x') {
    await mock.setIdentity(identity);
    const agent = request.agent(app.http);
    const callback = await begin(agent, provider, next);
    const res = await agent.get(callback);
    return { agent, res, callback };
  }

  const sessionCookies = (res: request.Response) =>
    ([] as string[])
      .concat(res.headers['set-cookie'] ?? [])
      .filter((c) => /^(__Host-)?tm_(at|rt)=[^;]/.test(c));

  const identitiesOf = (app: TestApp, userId: string) =>
    app.dataSource.getRepository(UserIdentity).findBy({ userId });

  const refreshTokenCount = async (app: TestApp, userId: string) =>
    Number(
      (
        await app.dataSource.query(
          'SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1',
          [userId],
        )
      )[0].n,
    );

  const auditOf = (app: TestApp, action: string) =>
    app.dataSource.query(
      `SELECT actor_id, outcome, details FROM audit_log WHERE action = $1 ORDER BY seq`,
      [action],
    ) as Promise<{ actor_id: string | null; outcome: string; details: Record<string, unknown> }[]>;

  /** The refused page: status, a heading in the shared layout, no session. */
  function expectRefusal(res: request.Response, status: number, text: RegExp) {
    expect({ status: res.status, text: res.text }).toMatchObject({
      status,
      text: expect.stringMatching(text),
    });
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('<header class="topbar">');
    expect(res.text).toContain('href="/login"');
    expect(sessionCookies(res)).toEqual([]);
  }

  async function expectSignedOut(agent: Agent) {
    const home = await agent.get('/');
    expect(home.status).toBe(303);
    expect(home.headers.location).toMatch(/^\/login\?next=/);
  }

  const heading = (res: request.Response) =>
    /<h1>([^<]*)<\/h1>/.exec(res.text)?.[1]?.replace(/&#x27;/g, "'") ?? '';

  it('shows the sign-in buttons only for configured providers', async () => {
    const both = await request(t.http).get('/login?next=/x').expect(200);
    // Handlebars escapes "=" in attributes as &#x3D;.
    const link = (p: Provider) => `href="/auth/${p}?next&#x3D;%2Fx">Sign in with `;
    expect(both.text).toContain(`${link('google')}Google`);
    expect(both.text).toContain(`${link('microsoft')}Microsoft`);
    const none = await request(plain.http).get('/login').expect(200);
    expect(none.text).not.toContain('Sign in with Google');
    expect(none.text).not.toContain('Sign in with Microsoft');
    for (const provider of PROVIDERS) {
      const off = await request(plain.http).get(`/auth/${provider}`);
      expectRefusal(off, 404, /is not set up/);
      note('not configured: /auth/<provider>', provider, `${off.status} "${heading(off)}"`);
    }
  });

  describe.each(PROVIDERS)('%s', (provider) => {
    const email = (what: string, domain = 'school.example') =>
      `${what}.${provider}.${++seq}@${domain}`;

    it('links an active user by verified email on the first sign-in, and opens a browser session', async () => {
      const user = await createUser(t, ['operations_manager'], { email: email('ops') });
      const identity = person(provider, user.email.toUpperCase());
      const { agent, res } = await signIn(t, provider, identity, '/account/password');

      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/account/password');
      expect(
        sessionCookies(res)
          .map((c) => c.split('=')[0])
          .sort(),
      ).toEqual(['tm_at', 'tm_rt']);
      const home = await agent.get('/').expect(200);
      expect(home.text).toContain(user.email);
      expect(home.text).toContain('operations_manager');
      const identities = await identitiesOf(t, user.id);
      expect(identities).toEqual([
        expect.objectContaining({
          provider,
          subject: subjectOf(provider, identity),
          email: user.email,
        }),
      ]);
      const linked = await auditOf(t, 'auth.sso_linked');
      expect(linked).toContainEqual(
        expect.objectContaining({ actor_id: user.id, outcome: 'success' }),
      );
      const signIns = await auditOf(t, 'auth.sso_sign_in');
      expect(signIns).toContainEqual({
        actor_id: user.id,
        outcome: 'success',
        details: {
          provider,
          how: 'linked',
          channel: 'browser',
          method: 'sso',
          sessionId: expect.any(String),
        },
      });
      note(
        'success: first sign-in links by verified email',
        provider,
        `${res.status} → ${res.headers.location}, session, identity linked`,
      );
    });

    it('matches later sign-ins on the subject, never on email, even after the email changed in TutorMax', async () => {
      const user = await createUser(t, ['people_ops'], { email: email('renamed') });
      const identity = person(provider, user.email);
      expect((await signIn(t, provider, identity)).res.status).toBe(303);

      const renamed = email('now-called');
      await t.dataSource.getRepository(User).update({ id: user.id }, { email: renamed });
      // Someone else now has the old address, which the provider still sends.
      const other = await createUser(t, ['admin'], { email: user.email });

      const { agent, res } = await signIn(t, provider, identity, '/');
      expect(res.status).toBe(303);
      const home = await agent.get('/').expect(200);
      expect(home.text).toContain(renamed);
      expect(home.text).not.toContain(other.email);
      expect(await identitiesOf(t, user.id)).toHaveLength(1);
      expect(await identitiesOf(t, other.id)).toHaveLength(0);
      note(
        'success: later sign-in matches on subject after email change',
        provider,
        `${res.status}, signed in as the renamed user (not the email's new owner)`,
      );
    });

    it('keeps the state in Redis under QUEUE_PREFIX for 10 minutes, and takes it out on use', async () => {
      const redis = t.app.get<Redis>(REDIS);
      const pattern = `${t.config.QUEUE_PREFIX}:sso:state:*`;
      const before = new Set(await redis.keys(pattern));
      const user = await createUser(t, ['tutor'], { email: email('redis') });
      await mock.setIdentity(person(provider, user.email));
      const agent = request.agent(t.http);
      const callback = await begin(agent, provider);

      const added = (await redis.keys(pattern)).filter((k) => !before.has(k));
      expect(added).toHaveLength(1);
      const ttl = await redis.ttl(added[0]);
      expect(ttl).toBeGreaterThan(590);
      expect(ttl).toBeLessThanOrEqual(600);
      const stored = JSON.parse((await redis.get(added[0]))!) as Record<string, unknown>;
      expect(Object.keys(stored).sort()).toEqual(['browser', 'next', 'provider', 'verifier']);
      expect(stored).toMatchObject({ provider, next: '/x' });
      // The handle in the URL is not the key: only its hash is stored.
      expect(added[0]).not.toContain(new URL(callback, PUBLIC_URL).searchParams.get('state'));

      expect((await agent.get(callback)).status).toBe(303);
      expect(await redis.exists(added[0])).toBe(0);
    });

    it('refuses a tampered state with 400 and opens no session', async () => {
      const user = await createUser(t, ['tutor'], { email: email('tampered') });
      await mock.setIdentity(person(provider, user.email));
      const agent = request.agent(t.http);
      const callback = new URL(await begin(agent, provider), PUBLIC_URL);
      callback.searchParams.set('state', randomBytes(32).toString('base64url'));
      const res = await agent.get(`${callback.pathname}${callback.search}`);

      expectRefusal(res, 400, /expired or was already used/);
      await expectSignedOut(agent);
      expect(await identitiesOf(t, user.id)).toHaveLength(0);
      note('state mismatch (tampered)', provider, `${res.status} "${heading(res)}"`);
    });

    it('refuses a replayed callback with 400 and opens no second session', async () => {
      const user = await createUser(t, ['tutor'], { email: email('replay') });
      const { agent, res, callback } = await signIn(t, provider, person(provider, user.email));
      expect(res.status).toBe(303);
      expect(await refreshTokenCount(t, user.id)).toBe(1);

      const replay = await agent.get(callback);
      expectRefusal(replay, 400, /expired or was already used/);
      expect(await refreshTokenCount(t, user.id)).toBe(1);
      const elsewhere = await request(t.http).get(callback);
      expectRefusal(elsewhere, 400, /.+/);
      note('replayed state', provider, `${replay.status} "${heading(replay)}"`);
    });

    it('refuses a callback finished in another browser (400), and the state is then spent', async () => {
      const user = await createUser(t, ['tutor'], { email: email('planted') });
      await mock.setIdentity(person(provider, user.email));
      const starter = request.agent(t.http);
      const callback = await begin(starter, provider);

      const victim = request.agent(t.http);
      const res = await victim.get(callback);
      expectRefusal(res, 400, /started in another browser/);
      await expectSignedOut(victim);
      expectRefusal(await starter.get(callback), 400, /expired or was already used/);
      note('callback in another browser (login CSRF)', provider, `${res.status} "${heading(res)}"`);
    });

    it('refuses an unknown email with 403 "ask an administrator" and creates no user', async () => {
      const address = email('stranger', 'elsewhere.example');
      const { agent, res } = await signIn(t, provider, person(provider, address));

      expectRefusal(res, 403, /Ask an administrator to invite you/);
      expect(res.text).toContain(address);
      await expectSignedOut(agent);
      expect(await t.dataSource.getRepository(User).countBy({ email: address })).toBe(0);
      const refused = await auditOf(t, 'auth.sso_sign_in');
      expect(refused).toContainEqual(
        expect.objectContaining({
          outcome: 'denied',
          details: { provider, problem: 'unknown_email' },
        }),
      );
      note('unknown email', provider, `${res.status} "${heading(res)}", no user created`);
    });

    it('provisions an unknown email from SSO_ALLOWED_DOMAINS with SSO_DEFAULT_ROLE', async () => {
      const address = email('newcomer', 'Provisioned.Example');
      const identity = person(provider, address);
      const { agent, res } = await signIn(t, provider, identity);

      expect(res.status).toBe(303);
      expect(sessionCookies(res)).toHaveLength(2);
      const user = await t.dataSource
        .getRepository(User)
        .findOneByOrFail({ email: address.toLowerCase() });
      expect(user).toMatchObject({ roles: ['tutor'], isActive: true, fullName: identity.name });
      expect(await identitiesOf(t, user.id)).toEqual([
        expect.objectContaining({ provider, subject: subjectOf(provider, identity) }),
      ]);
      const home = await agent.get('/').expect(200);
      expect(home.text).toContain('tutor');
      note('allowed domain, SSO_DEFAULT_ROLE=tutor', provider, `${res.status}, created as tutor`);
    });

    it('provisions without a role when SSO_DEFAULT_ROLE is unset, and asks for an administrator', async () => {
      const address = email('roleless', 'provisioned.example');
      const identity = person(provider, address);
      const first = await signIn(noRole, provider, identity);

      expectRefusal(first.res, 403, /Ask an administrator to give you one/);
      await expectSignedOut(first.agent);
      const user = await noRole.dataSource.getRepository(User).findOneByOrFail({ email: address });
      expect(user.roles).toEqual([]);
      expect(await identitiesOf(noRole, user.id)).toHaveLength(1);

      // The administrator grants a role; the same account now signs in.
      await noRole.app.get(UsersService).setRoles(user.id, ['student']);
      const second = await signIn(noRole, provider, identity);
      expect(second.res.status).toBe(303);
      await second.agent.get('/').expect(200);
      note(
        'allowed domain, no SSO_DEFAULT_ROLE',
        provider,
        `${first.res.status} "${heading(first.res)}", user created role-less; 303 once a role is granted`,
      );
    });

    it(
      provider === 'google'
        ? 'refuses an email Google has not verified (403), without linking'
        : 'refuses a tenant not in MICROSOFT_TENANTS (403), without linking',
      async () => {
        const user = await createUser(t, ['admin'], { email: email('unverified') });
        const identity =
          provider === 'google'
            ? person(provider, user.email, { email_verified: false })
            : person(provider, user.email, {
                tid: OTHER_TENANT,
                iss: `${mock.issuer}/${OTHER_TENANT}/v2.0`,
              });
        const { agent, res } = await signIn(t, provider, identity);

        expectRefusal(
          res,
          403,
          provider === 'google' ? /not verified/ : /organisation cannot sign in/,
        );
        await expectSignedOut(agent);
        expect(await identitiesOf(t, user.id)).toHaveLength(0);
        note(
          'unverified (Google email_verified=false | Microsoft tenant not allowed)',
          provider,
          `${res.status} "${heading(res)}", not linked`,
        );
      },
    );

    it('refuses a deactivated user (403), whether found by email or by a linked subject', async () => {
      const inactive = await createUser(t, ['people_ops'], {
        email: email('inactive'),
        isActive: false,
      });
      const byEmail = await signIn(t, provider, person(provider, inactive.email));
      expectRefusal(byEmail.res, 403, /deactivated/);
      await expectSignedOut(byEmail.agent);
      expect(await identitiesOf(t, inactive.id)).toHaveLength(0);

      const leaver = await createUser(t, ['people_ops'], { email: email('leaver') });
      const identity = person(provider, leaver.email);
      expect((await signIn(t, provider, identity)).res.status).toBe(303);
      await t.app.get(UsersService).setActive(leaver.id, false);
      const bySubject = await signIn(t, provider, identity);
      expectRefusal(bySubject.res, 403, /deactivated/);
      await expectSignedOut(bySubject.agent);
      note(
        'deactivated user',
        provider,
        `${byEmail.res.status} by email, ${bySubject.res.status} by linked subject; no session`,
      );
    });

    it('refuses a second account at the same provider for an already linked user (403)', async () => {
      const user = await createUser(t, ['tutor'], { email: email('linked') });
      expect((await signIn(t, provider, person(provider, user.email))).res.status).toBe(303);
      const { res } = await signIn(t, provider, person(provider, user.email));
      expectRefusal(res, 403, /linked to another/);
      expect(await identitiesOf(t, user.id)).toHaveLength(1);
      note('another account, same email, user already linked', provider, `${res.status}`);
    });

    it('shows a page, not a 500, when the provider refuses or answers badly', async () => {
      const user = await createUser(t, ['tutor'], { email: email('flaky') });
      const denied = await signIn(t, provider, { ...person(provider, user.email), _deny: true });
      expectRefusal(denied.res, 403, /did not sign you in/);

      const broken =
        provider === 'google'
          ? await signIn(t, provider, { ...person(provider, user.email), _token_error: true })
          : await signIn(t, provider, { ...person(provider, user.email), aud: 'another-app' });
      expectRefusal(broken.res, 502, /sign-in did not work/);
      expect(await identitiesOf(t, user.id)).toHaveLength(0);
      note('cancelled at the provider', provider, `${denied.res.status}`);
      note(
        'provider error (Google token error | Microsoft ID token for another app)',
        provider,
        `${broken.res.status}`,
      );
    });

    it('refuses a callback without a code or with no state at all (400)', async () => {
      const bare = await request(t.http).get(`/auth/${provider}/callback`);
      expectRefusal(bare, 400, /did not finish the sign-in/);
      const stateless = await request(t.http).get(`/auth/${provider}/callback?code=abc`);
      expectRefusal(stateless, 400, /expired or was already used/);
    });

    it('keeps the return path on this site', async () => {
      const user = await createUser(t, ['tutor'], { email: email('next') });
      const { res } = await signIn(t, provider, person(provider, user.email), '//evil.example/x');
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/');
    });
  });

  function printOutcomes(): void {
    if (!outcomes.size) return;
    const rows = [...outcomes].map(([scenario, byProvider]) => [
      scenario,
      byProvider.google ?? '—',
      byProvider.microsoft ?? '—',
    ]);
    const header = ['case', 'google', 'microsoft'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
    console.log(
      [
        'SSO outcomes (case × provider):',
        line(header),
        line(widths.map((w) => '-'.repeat(w))),
        ...rows.map(line),
      ].join('\n'),
    );
  }
});

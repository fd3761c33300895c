import { ssoProblemPage } from './sso-problems';
import type { SsoProblem } from './sso-profile';
import { displayName, googleProfile, microsoftProfile } from './sso-strategies';

const TENANT = '0f6c1d3e-5a7b-4c2d-9e8f-112233445566';
const OID = '7d2a6f7e-0b1c-4d5e-8f90-a1b2c3d4e5f6';
const CLIENT = 'client-id';
const NOW = Date.UTC(2026, 0, 1);

function idToken(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.signature`;
}

const microsoft = (claims: Record<string, unknown>) =>
  microsoftProfile(
    idToken({
      aud: CLIENT,
      iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      exp: NOW / 1000 + 3600,
      tid: TENANT,
      oid: OID,
      sub: 'pairwise-subject',
      email: 'Ada@School.Example',
      name: 'Ada Lovelace',
      ...claims,
    }),
    { clientId: CLIENT, issuerOrigin: 'https://login.microsoftonline.com', now: NOW },
  );

describe('googleProfile', () => {
  it('takes sub, a lower-cased email and email_verified only when it is true', () => {
    expect(
      googleProfile({ sub: '1234', email: 'Ada@Gmail.com', email_verified: true, name: 'Ada' }),
    ).toEqual({
      provider: 'google',
      subject: '1234',
      email: 'ada@gmail.com',
      emailVerified: true,
      displayName: 'Ada',
    });
    expect(googleProfile({ sub: '1', email: 'a@b.example' })).toMatchObject({
      emailVerified: false,
    });
    expect(
      googleProfile({ sub: '1', email: 'a@b.example', email_verified: 'false' }),
    ).toMatchObject({ emailVerified: false });
    expect(googleProfile({ sub: '1', email: 'not an email', email_verified: true })).toMatchObject({
      email: null,
      emailVerified: false,
    });
  });

  it('refuses a profile without a subject', () => {
    expect(googleProfile({ email: 'a@b.example' })).toMatchObject({ problem: 'provider_error' });
  });
});

describe('microsoftProfile', () => {
  it('uses oid as the subject, tid as the tenant and the email claim', () => {
    expect(microsoft({})).toEqual({
      provider: 'microsoft',
      subject: OID,
      email: 'ada@school.example',
      emailVerified: true,
      displayName: 'Ada Lovelace',
      tenantId: TENANT,
    });
  });

  it('falls back to preferred_username when it is an address', () => {
    expect(microsoft({ email: undefined, preferred_username: 'ada@school.example' })).toMatchObject(
      { email: 'ada@school.example' },
    );
    expect(microsoft({ email: undefined, preferred_username: '+44 7700 900000' })).toMatchObject({
      email: null,
      emailVerified: false,
    });
  });

  it('does not trust the email when xms_edov says the domain owner is unverified', () => {
    expect(microsoft({ xms_edov: false })).toMatchObject({ emailVerified: false });
  });

  it.each([
    ['another audience', { aud: 'someone-else' }],
    ['an expired token', { exp: NOW / 1000 - 3600 }],
    ['no tenant', { tid: undefined }],
    ['no object id', { oid: undefined }],
    ['an issuer of another tenant', { iss: 'https://login.microsoftonline.com/other/v2.0' }],
    ['an issuer of another host', { iss: `https://evil.example/${TENANT}/v2.0` }],
  ])('refuses %s', (_what, claims) => {
    expect(microsoft(claims)).toMatchObject({ problem: 'provider_error' });
  });

  it('refuses a missing or malformed token', () => {
    const expected = { clientId: CLIENT, issuerOrigin: 'https://x', now: NOW };
    expect(microsoftProfile(undefined, expected)).toMatchObject({ problem: 'provider_error' });
    expect(microsoftProfile('not-a-jwt', expected)).toMatchObject({ problem: 'provider_error' });
    expect(microsoftProfile('a.!!!.c', expected)).toMatchObject({ problem: 'provider_error' });
  });
});

describe('displayName', () => {
  it('keeps plain text only', () => {
    expect(displayName('  Ada <b>Lovelace</b><script>alert(1)</script>\n')).toBe('Ada Lovelace');
    expect(displayName('Ada\tLove\u0000lace')).toBe('Ada Love lace');
    expect(displayName('\u0000\u0007')).toBeNull();
    expect(displayName(42)).toBeNull();
    expect(displayName('x'.repeat(300))).toHaveLength(200);
  });
});

describe('ssoProblemPage', () => {
  it('answers 400 for state problems, 403 for refusals and never 500', () => {
    const statuses: Record<SsoProblem, number> = {
      not_configured: 404,
      incomplete: 400,
      state_unknown: 400,
      state_browser: 400,
      cancelled: 403,
      provider_error: 502,
      unavailable: 503,
      no_email: 403,
      unverified: 403,
      tenant_not_allowed: 403,
      unknown_email: 403,
      deactivated: 403,
      no_role: 403,
      linked_elsewhere: 403,
    };
    for (const [problem, status] of Object.entries(statuses)) {
      expect({
        problem,
        status: ssoProblemPage(problem as SsoProblem, 'Google', null).status,
      }).toEqual({
        problem,
        status,
      });
    }
    expect(ssoProblemPage('unknown_email', 'Google', 'ada@x.example').message).toMatch(
      /ada@x\.example.*Ask an administrator/,
    );
  });
});

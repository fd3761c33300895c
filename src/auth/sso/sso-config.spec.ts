import { ConfigError, loadConfig } from '../../config/app-config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('SSO configuration', () => {
  it("defaults to the providers' real endpoints", () => {
    expect(loadConfig({})).toMatchObject({
      GOOGLE_AUTHORIZATION_URL: 'https://accounts.google.com/o/oauth2/v2/auth',
      GOOGLE_TOKEN_URL: 'https://oauth2.googleapis.com/token',
      GOOGLE_USERINFO_URL: 'https://openidconnect.googleapis.com/v1/userinfo',
      MICROSOFT_AUTHORIZATION_URL:
        'https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize',
      MICROSOFT_TOKEN_URL: 'https://login.microsoftonline.com/organizations/oauth2/v2.0/token',
    });
  });

  it('needs a client id and secret together', () => {
    expect(problemsOf({ GOOGLE_CLIENT_ID: 'id' })).toEqual([
      'GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET must be set together',
    ]);
    expect(problemsOf({ MICROSOFT_CLIENT_SECRET: 'secret' })).toEqual([
      'MICROSOFT_CLIENT_ID and MICROSOFT_CLIENT_SECRET must be set together',
    ]);
  });

  it('accepts http endpoints outside production (tests) and refuses them in production', () => {
    expect(problemsOf({ GOOGLE_TOKEN_URL: 'http://127.0.0.1:4000/token' })).toEqual([]);
    expect(problemsOf({ GOOGLE_TOKEN_URL: 'not a url' }).join('\n')).toMatch(/GOOGLE_TOKEN_URL/);
    expect(
      problemsOf({ NODE_ENV: 'production', MICROSOFT_TOKEN_URL: 'http://mock/token' }),
    ).toContain('MICROSOFT_TOKEN_URL must be https in production');
  });
});

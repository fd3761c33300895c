import request from 'supertest';
import { PasswordService } from '../../src/auth/password.service';
import { Role, User } from '../../src/auth/entities/user.entity';
import type { TestApp } from './test-app';

export const STRONG_PASSWORD = 'correct-horse-battery-staple-42';
let counter = 0;

/** Creates an active user with a password, straight in the database. */
export async function createUser(
  t: TestApp,
  roles: Role[],
  overrides: Partial<User> & { password?: string } = {},
): Promise<User & { password: string }> {
  const password = overrides.password ?? STRONG_PASSWORD;
  const email =
    overrides.email ?? `${roles[0] ?? 'nobody'}.${++counter}.${Date.now()}@example.invalid`;
  const repo = t.dataSource.getRepository(User);
  const user = await repo.save(
    repo.create({
      email,
      fullName: overrides.fullName ?? `Test ${roles.join(' ')}`,
      roles,
      isActive: overrides.isActive ?? true,
      passwordHash: await t.app.get(PasswordService).hash(password),
      tutorId: overrides.tutorId ?? null,
      studentId: overrides.studentId ?? null,
    }),
  );
  return { ...user, password };
}

/** Signs in through the JSON API and returns the token pair. */
export async function apiSignIn(t: TestApp, email: string, password: string, ip = '203.0.113.10') {
  const res = await request(t.http)
    .post('/api/v1/auth/login')
    .set('X-Forwarded-For', ip)
    .send({ email, password })
    .expect(200);
  return res.body as { accessToken: string; refreshToken: string; expiresIn: number };
}

/** Pulls the CSRF token out of a rendered form. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token in the page');
  return match[1];
}

/**
 * A browser: a cookie-keeping agent signed in through the login form, plus the
 * CSRF token of the last page it loaded.
 */
export async function browserSignIn(
  t: TestApp,
  email: string,
  password: string,
  ip = '198.51.100.7',
) {
  const agent = request.agent(t.http);
  const form = await agent.get('/login').set('X-Forwarded-For', ip).expect(200);
  const res = await agent
    .post('/login')
    .set('X-Forwarded-For', ip)
    .type('form')
    .send({ email, password, _csrf: csrfFrom(form.text), next: '/' });
  if (res.status !== 303)
    throw new Error(`sign-in failed: ${res.status} ${res.text.slice(0, 300)}`);
  return {
    agent,
    /** Loads a page and returns its CSRF token. */
    async csrf(path = '/'): Promise<string> {
      const page = await agent.get(path).set('X-Forwarded-For', ip).expect(200);
      return csrfFrom(page.text);
    },
  };
}

import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import request from 'supertest';
import { PERMISSION_KEY, PUBLIC_KEY } from '../src/auth/access.decorators';
import { Role, ROLES } from '../src/auth/entities/user.entity';
import { Permission, permissionsOf } from '../src/auth/permissions';
import { apiSignIn, createUser, csrfFrom } from './helpers/auth';
import { startTestApp, TEST_API_KEY, TestApp } from './helpers/test-app';

interface Route {
  method: string;
  path: string;
  access: { public: true } | { permission: Permission } | { undeclared: true };
}

type Principal = {
  name: string;
  headers: Record<string, string>;
  permissions: ReadonlySet<Permission> | 'anonymous';
};

const DUMMY_ID = '00000000-0000-4000-8000-000000000000';
const joinPath = (...parts: string[]) =>
  (
    '/' +
    parts
      .flatMap((p) => p.split('/'))
      .filter(Boolean)
      .join('/')
  ).replace(/:[A-Za-z]+/g, DUMMY_ID);

/** Every route Nest registered, with the access rule its decorators declare. */
function nestRoutes(t: TestApp): Route[] {
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
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      const isPublic =
        Reflect.getMetadata(PUBLIC_KEY, handler) ?? Reflect.getMetadata(PUBLIC_KEY, metatype);
      const permission =
        Reflect.getMetadata(PERMISSION_KEY, handler) ??
        Reflect.getMetadata(PERMISSION_KEY, metatype);
      for (const b of ([] as string[]).concat(base)) {
        for (const p of ([] as string[]).concat(path)) {
          routes.push({
            method,
            path: joinPath(b, p),
            access: isPublic
              ? { public: true }
              : permission
                ? { permission }
                : { undeclared: true },
          });
        }
      }
    }
  }
  return routes;
}

/** Routes mounted outside Nest's router, with the rule they must follow too. */
const OUTSIDE_ROUTER: Route[] = [
  { method: 'GET', path: '/api/docs', access: { public: true } }, // outside production; behind sign-in in production
  { method: 'GET', path: '/api/docs-json', access: { public: true } },
  { method: 'GET', path: '/static/app.css', access: { public: true } },
  { method: 'GET', path: '/static/app.js', access: { public: true } },
  // Bull Board: the gate in src/workers/bull-board.ts (system.operate; cookie writes need our Origin).
  { method: 'GET', path: '/admin/queues', access: { permission: 'system.operate' } },
  { method: 'GET', path: '/admin/queues/api/queues', access: { permission: 'system.operate' } },
  {
    method: 'PUT',
    path: '/admin/queues/api/queues/notifications/retry/failed',
    access: { permission: 'system.operate' },
  },
  {
    method: 'PUT',
    path: '/admin/queues/api/queues/notifications/clean/failed',
    access: { permission: 'system.operate' },
  },
];

describe('authorization matrix', () => {
  let t: TestApp;
  const principals: Principal[] = [];

  let csrfToken = '';

  beforeAll(async () => {
    t = await startTestApp({ LOG_LEVEL: 'error' });
    principals.push({ name: 'anonymous', headers: {}, permissions: 'anonymous' });
    principals.push({
      name: 'api-key',
      headers: { 'X-API-Key': TEST_API_KEY },
      permissions: new Set<Permission>(['tutoring.read', 'tutoring.write']),
    });
    let n = 0;
    for (const role of ROLES as readonly Role[]) {
      const user = await createUser(t, [role]);
      const { accessToken } = await apiSignIn(t, user.email, user.password, `198.18.0.${++n}`);
      principals.push({
        name: role,
        headers: { Authorization: `Bearer ${accessToken}` },
        permissions: permissionsOf([role]),
      });
    }
  });
  afterAll(() => t.close());

  it('every route declares who may call it', () => {
    const undeclared = nestRoutes(t).filter((r) => 'undeclared' in r.access);
    expect(undeclared.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('every route answers each principal as declared', async () => {
    const routes = [...nestRoutes(t), ...OUTSIDE_ROUTER];
    const failures: string[] = [];
    let checked = 0;
    let ip = 0;
    for (const route of routes) {
      for (const principal of principals) {
        const allowed =
          'public' in route.access ||
          ('permission' in route.access &&
            principal.permissions !== 'anonymous' &&
            principal.permissions.has(route.access.permission));
        let req = request(t.http)
          [route.method.toLowerCase() as 'get'](route.path)
          .set('X-Forwarded-For', `198.19.${Math.floor(ip / 250)}.${(ip++ % 250) + 1}`)
          .set('Accept', 'application/json');
        for (const [k, v] of Object.entries(principal.headers)) req = req.set(k, v);
        if (route.method !== 'GET' && principal.permissions === 'anonymous') {
          // Browsers' forms carry a CSRF token; give every anonymous post one, so the matrix
          // measures authorization rather than CSRF (tested on its own in auth.e2e-spec).
          const form = await request(t.http).get('/login').expect(200);
          csrfToken = csrfFrom(form.text);
          const cookies = ([] as string[]).concat(form.headers['set-cookie'] ?? []);
          req = req.set(
            'Cookie',
            cookies.map((c) => c.split(';')[0]),
          );
        }
        if (route.method !== 'GET')
          req = req.send(principal.permissions === 'anonymous' ? { _csrf: csrfToken } : {});
        const res = await req;
        checked++;
        const refused =
          res.status === 401 ||
          res.status === 403 ||
          (res.status === 303 && String(res.headers.location).startsWith('/login?next='));
        if (allowed && refused)
          failures.push(
            `${route.method} ${route.path} as ${principal.name}: refused with ${res.status} ${(/<p>([^<]*)<\/p>/.exec(res.text) ?? [])[1] ?? JSON.stringify(res.body).slice(0, 120)}, expected access`,
          );
        if (!allowed) {
          const expected = principal.permissions === 'anonymous' ? [401, 303] : [403];
          if (!expected.includes(res.status))
            failures.push(
              `${route.method} ${route.path} as ${principal.name}: ${res.status}, expected ${expected.join(' or ')}`,
            );
        }
        if (res.status >= 500)
          failures.push(
            `${route.method} ${route.path} as ${principal.name}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`,
          );
      }
    }
    console.log(
      `authorization matrix: ${routes.length} routes × ${principals.length} principals = ${checked} checks`,
    );
    expect(failures).toEqual([]);
    // ~200 routes × 7 principals, one request each: minutes on a loaded 2-core machine.
  }, 600_000);
});

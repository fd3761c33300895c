import { get as httpGet, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { AuditService } from '../src/audit/audit.service';
import { ApiKeyService } from '../src/auth/api-key.service';
import { User } from '../src/auth/entities/user.entity';
import { PasswordService } from '../src/auth/password.service';
import { FieldCipher } from '../src/security/field-cipher';
import { studentItem, tutorItem } from './helpers/fixtures';
import { startTestApp, TEST_API_KEY, TestApp } from './helpers/test-app';

const CLIENT_IP = '203.0.113.77';
const USER_AGENT = 'AuditTest/1.0 (+ingest)';
const PASSWORD = 'audit-test-password-long-enough-42';

interface AuditRow {
  seq: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  request_id: string | null;
  outcome: string;
  changed_fields: string[];
  details: Record<string, unknown>;
  ip_enc: string | null;
  user_agent_enc: string | null;
}

describe('audit log over HTTP: interceptor, reads, admin API, export, page', () => {
  let t: TestApp;
  let keyId: string;
  let adminToken: string;
  let adminId: string;
  let studentId: string;

  const rowsFor = async (requestId: string): Promise<AuditRow[]> =>
    t.dataSource.query(
      `SELECT seq::text AS seq, actor_type, actor_id, action, resource_type, resource_id, request_id,
              outcome, changed_fields, details, ip_enc, user_agent_enc
         FROM audit_log WHERE request_id = $1 ORDER BY audit_log.seq`,
      [requestId],
    );
  const withKey = (req: request.Test, requestId: string) =>
    req
      .set('X-API-Key', TEST_API_KEY)
      .set('X-Request-Id', requestId)
      .set('X-Forwarded-For', CLIENT_IP)
      .set('User-Agent', USER_AGENT);
  const asAdmin = (req: request.Test) => req.set('Authorization', `Bearer ${adminToken}`);

  beforeAll(async () => {
    t = await startTestApp();
    keyId = (await t.app.get(ApiKeyService).verify(TEST_API_KEY))!.id;
    const users = t.dataSource.getRepository(User);
    const admin = await users.save(
      users.create({
        email: 'audit.admin@example.invalid',
        fullName: 'Audit Admin',
        roles: ['admin'],
        isActive: true,
        passwordHash: await t.app.get(PasswordService).hash(PASSWORD),
      }),
    );
    adminId = admin.id;
    const login = await request(t.http)
      .post('/api/v1/auth/login')
      .set('X-Request-Id', 'audit-admin-sign-in')
      .send({ email: admin.email, password: PASSWORD })
      .expect(200);
    adminToken = login.body.accessToken;
    const students = await withKey(request(t.http).post('/api/v1/students'), 'audit-setup-students')
      .send({ items: [studentItem({ name: 'Priya Confidential' })] })
      .expect(200);
    studentId = students.body.results[0].id;
  });
  afterAll(() => t.close());

  it('a mutating request writes one row: key id, request id, field names, never values', async () => {
    const items = [
      tutorItem({ name: 'Zelda Secretname', email: 'zelda.secret@example.invalid' }),
      tutorItem(),
    ];
    await withKey(request(t.http).post('/api/v1/tutors'), 'audit-ingest-0001')
      .send({ items })
      .expect(200);
    const rows = await rowsFor('audit-ingest-0001');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor_type: 'api-key',
      actor_id: keyId,
      action: 'http.post',
      resource_type: 'tutor',
      outcome: 'success',
      changed_fields: [],
      details: { itemCount: 2, status: 200, method: 'POST', route: '/api/v1/tutors' },
    });
    const raw = JSON.stringify(rows[0]);
    for (const value of ['Zelda', 'zelda.secret', CLIENT_IP, 'AuditTest']) {
      expect(raw).not.toContain(value);
    }
  });

  it('a rejected request is recorded as a failure, with its field names only', async () => {
    await withKey(request(t.http).post('/api/v1/tutors'), 'audit-rejected-01')
      .send({ items: 'not-a-list', note: 'Call Zelda on 555-0100' })
      .expect(400);
    const [row] = await rowsFor('audit-rejected-01');
    expect(row).toMatchObject({
      actor_id: keyId,
      outcome: 'failure',
      changed_fields: ['items', 'note'],
      details: { status: 400 },
    });
    expect(JSON.stringify(row)).not.toContain('555-0100');
  });

  it('requests refused before any handler are recorded as denied, or failed when unrouted', async () => {
    await request(t.http)
      .post('/api/v1/tutors')
      .set('X-API-Key', 'not-a-real-key')
      .set('X-Request-Id', 'audit-badkey-0001')
      .send({ items: [tutorItem()] })
      .expect(401);
    await request(t.http)
      .delete('/api/v1/tutors/00000000-0000-4000-8000-000000000000')
      .set('X-API-Key', TEST_API_KEY)
      .set('X-Request-Id', 'audit-unrouted-01')
      .expect(404);
    const waitFor = async (id: string) => {
      for (let i = 0; i < 50; i++) {
        const rows = await rowsFor(id);
        if (rows.length) return rows;
        await new Promise((r) => setTimeout(r, 20));
      }
      return [];
    };
    expect(await waitFor('audit-badkey-0001')).toEqual([
      expect.objectContaining({
        actor_type: 'anonymous',
        actor_id: null,
        action: 'http.post',
        resource_type: 'tutor',
        outcome: 'denied',
        details: expect.objectContaining({ itemCount: 1, status: 401, route: '/api/v1/tutors' }),
      }),
    ]);
    expect(await waitFor('audit-unrouted-01')).toEqual([
      expect.objectContaining({
        actor_type: 'anonymous',
        action: 'http.delete',
        resource_type: 'tutor',
        resource_id: null,
        outcome: 'failure',
        details: expect.objectContaining({ status: 404, route: null }),
      }),
    ]);
  });

  it('reads of a student’s records are recorded; other reads are not', async () => {
    await withKey(
      request(t.http).get(`/api/v1/students/${studentId}`),
      'audit-read-student',
    ).expect(200);
    await withKey(
      request(t.http).get(`/api/v1/sessions?studentId=${studentId}&limit=5`),
      'audit-read-sessions',
    ).expect(200);
    await withKey(request(t.http).get('/api/v1/tutors'), 'audit-read-tutors').expect(200);
    await withKey(
      request(t.http).get('/api/v1/students/00000000-0000-4000-8000-000000000000'),
      'audit-read-missing',
    ).expect(404);

    expect(await rowsFor('audit-read-student')).toEqual([
      expect.objectContaining({
        actor_id: keyId,
        action: 'student_records.read',
        resource_type: 'student',
        resource_id: studentId,
        outcome: 'success',
      }),
    ]);
    expect(await rowsFor('audit-read-sessions')).toEqual([
      expect.objectContaining({
        action: 'student_records.read',
        resource_type: 'session',
        details: expect.objectContaining({ query: ['limit', 'studentId'], ids: { studentId } }),
      }),
    ]);
    expect(await rowsFor('audit-read-tutors')).toEqual([]);
    expect(await rowsFor('audit-read-missing')).toEqual([
      expect.objectContaining({
        outcome: 'failure',
        details: expect.objectContaining({ status: 404 }),
      }),
    ]);
  });

  it('stores the IP and user agent only encrypted', async () => {
    const [row] = await rowsFor('audit-ingest-0001');
    expect(row.ip_enc).toMatch(/^enc1:/);
    expect(row.user_agent_enc).toMatch(/^enc1:/);
    const cipher = t.app.get(FieldCipher);
    expect(cipher.decrypt(row.ip_enc!)).toBe(CLIENT_IP);
    expect(cipher.decrypt(row.user_agent_enc!)).toBe(USER_AGENT);
    const [{ plain }] = await t.dataSource.query(
      `SELECT count(*)::int AS plain FROM audit_log a WHERE to_jsonb(a)::text LIKE $1 OR to_jsonb(a)::text LIKE $2`,
      [`%${CLIENT_IP}%`, '%AuditTest%'],
    );
    expect(plain).toBe(0);
  });

  it('the audit API is closed to anonymous callers (401) and to API keys (403)', async () => {
    expect((await request(t.http).get('/api/v1/audit').expect(401)).body.statusCode).toBe(401);
    await request(t.http).get('/api/v1/audit/export?format=csv').expect(401);
    const denied = await request(t.http)
      .get('/api/v1/audit')
      .set('X-API-Key', TEST_API_KEY)
      .expect(403);
    expect(denied.body.message).toMatch(/audit\.read/);
    await request(t.http)
      .get('/api/v1/audit/export?format=json')
      .set('X-API-Key', TEST_API_KEY)
      .expect(403);
    await request(t.http).get('/admin/audit').set('X-API-Key', TEST_API_KEY).expect(403);
  });

  it('an admin lists rows newest first, filtered, page by page', async () => {
    for (let i = 0; i < 5; i++) {
      await withKey(request(t.http).post('/api/v1/tutors'), `audit-page-${i}-0000`)
        .send({ items: [tutorItem()] })
        .expect(200);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: request.Response = await asAdmin(
        request(t.http).get(
          `/api/v1/audit?actorType=api-key&actorId=${keyId}&action=http.post&outcome=success&limit=2${
            cursor ? `&cursor=${cursor}` : ''
          }`,
        ),
      ).expect(200);
      for (const item of res.body.items) {
        expect(item).toMatchObject({ actorId: keyId, action: 'http.post', outcome: 'success' });
      }
      seen.push(...res.body.items.map((i: { seq: string }) => i.seq));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    const numbers = seen.map(Number);
    expect(numbers).toEqual([...numbers].sort((a, b) => b - a));
    expect(new Set(seen).size).toBe(seen.length);
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE actor_id = $1 AND action = 'http.post' AND outcome = 'success'`,
      [keyId],
    );
    expect(seen).toHaveLength(n);
    expect(pages).toBe(Math.ceil(n / 2));

    const first = await asAdmin(request(t.http).get('/api/v1/audit?limit=1')).expect(200);
    expect(first.body.items[0]).toMatchObject({
      ip: expect.any(String),
      prevHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });

    const byResource = await asAdmin(
      request(t.http).get(`/api/v1/audit?resourceType=student&resourceId=${studentId}`),
    ).expect(200);
    expect(byResource.body.items.map((i: { requestId: string }) => i.requestId)).toEqual([
      'audit-read-student',
    ]);
    const reads = await asAdmin(
      request(t.http).get('/api/v1/audit?action=student_records.*'),
    ).expect(200);
    expect(reads.body.items.length).toBe(3);

    const [{ at }] = await t.dataSource.query(
      `SELECT occurred_at AS at FROM audit_log WHERE request_id = 'audit-page-2-0000'`,
    );
    const from = new Date(new Date(at).getTime() - 1).toISOString();
    const windowed = await asAdmin(
      request(t.http).get(`/api/v1/audit?from=${from}&action=http.post&actorId=${keyId}`),
    ).expect(200);
    expect(windowed.body.items.map((i: { requestId: string }) => i.requestId)).toEqual([
      'audit-page-4-0000',
      'audit-page-3-0000',
      'audit-page-2-0000',
    ]);
    const empty = await asAdmin(
      request(t.http).get(`/api/v1/audit?to=${from}&from=${from}`),
    ).expect(400);
    expect(empty.body.message).toBe('from must be earlier than to');
    await asAdmin(request(t.http).get('/api/v1/audit?cursor=bogus')).expect(400);
    await asAdmin(request(t.http).get('/api/v1/audit?actorType=robot')).expect(400);
  });

  it('exports CSV and JSON with the filters applied, and records the export', async () => {
    const csv = await asAdmin(
      request(t.http).get(`/api/v1/audit/export?format=csv&actorId=${keyId}&action=http.post`),
    )
      .set('X-Request-Id', 'audit-export-csv-1')
      .expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="audit-log-.*\.csv"/);
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'seq,occurredAt,actorType,actorId,action,resourceType,resourceId,requestId,outcome,changedFields,details,ip,userAgent,prevHash,hash',
    );
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE actor_id = $1 AND action = 'http.post'`,
      [keyId],
    );
    expect(lines).toHaveLength(n + 1);
    expect(lines.slice(1).every((l) => l.includes(`,api-key,${keyId},http.post,`))).toBe(true);
    expect(csv.text).toContain(CLIENT_IP);

    const json = await asAdmin(
      request(t.http).get('/api/v1/audit/export?format=json&action=student_records.*'),
    ).expect(200);
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    const items = JSON.parse(json.text);
    expect(items.map((i: { requestId: string }) => i.requestId)).toEqual([
      'audit-read-student',
      'audit-read-sessions',
      'audit-read-missing',
    ]);
    const none = await asAdmin(
      request(t.http).get('/api/v1/audit/export?format=json&actorId=nobody'),
    ).expect(200);
    expect(JSON.parse(none.text)).toEqual([]);

    const exports = await t.dataSource.query(
      `SELECT actor_type, actor_id, details FROM audit_log WHERE action = 'audit.exported' ORDER BY audit_log.seq`,
    );
    expect(exports[0]).toEqual({
      actor_type: 'user',
      actor_id: adminId,
      details: { format: 'csv', filters: ['action', 'actorId'] },
    });
  });

  it('streams a large export in batches as they are read', async () => {
    const audit = t.app.get(AuditService);
    const total = 1_234;
    for (let i = 0; i < total; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, total - i) }, (_, j) =>
          audit.record({
            action: 'user.roles_changed',
            outcome: 'success',
            actor: { type: 'system', id: null },
            resourceType: 'user',
            resourceId: `bulk-${i + j}`,
            changedFields: ['roles'],
            userAgent: '=cmd|calc',
          }),
        ),
      );
    }
    // Through the real route, reading the response as it arrives.
    const server = t.http as Server;
    if (!server.listening) await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const chunks: number[] = [];
    const body = await new Promise<string>((resolve, reject) => {
      let text = '';
      httpGet(
        `http://127.0.0.1:${port}/api/v1/audit/export?format=csv&action=user.roles_changed`,
        { headers: { Authorization: `Bearer ${adminToken}` } },
        (res: IncomingMessage) => {
          expect(res.statusCode).toBe(200);
          expect(res.headers['transfer-encoding']).toBe('chunked');
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            chunks.push(chunk.length);
            text += chunk;
          });
          res.on('end', () => resolve(text));
        },
      ).on('error', reject);
    });
    const lines = body.trimEnd().split('\r\n');
    expect(lines).toHaveLength(total + 1);
    expect(chunks.length).toBeGreaterThan(2);
    expect(lines[1]).toContain(",'=cmd|calc,");
    const seqs = lines.slice(1).map((l) => Number(l.split(',')[0]));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('the admin page shows the filtered table with export links', async () => {
    const page = await asAdmin(
      request(t.http).get(`/admin/audit?resourceType=student&actorType=api-key&actorId=&limit=2`),
    ).expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('<h1>Audit log</h1>');
    expect(page.text).toContain('student_records.read');
    expect(page.text).toContain(studentId);
    expect(page.text).toContain(CLIENT_IP);
    const html = page.text.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
    expect(html).toContain(
      'href="/api/v1/audit/export?actorType=api-key&resourceType=student&format=csv"',
    );
    expect(html).toContain(
      'href="/api/v1/audit/export?actorType=api-key&resourceType=student&format=json"',
    );
    expect(page.text).toMatch(/<option value="api-key" selected>/);
    expect(page.text).toContain('Older rows');
    expect(page.text).not.toContain('http.post');
  });
});

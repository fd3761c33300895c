import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { runErasureReplay } from '../src/cli/erasure-replay';
import { apiSignIn, createUser } from './helpers/auth';
import { studentItem, tutorItem } from './helpers/fixtures';
import { ingest } from './helpers/ingest';
import { startTestApp, TestApp } from './helpers/test-app';
import { createTestDatabase, TestDatabase } from './helpers/test-database';

describe('erasure ledger replay after a restore from backup', () => {
  let t: TestApp;
  let restored: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    t = await startTestApp();
    restored = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'tm-replay-'));
  });
  afterAll(async () => {
    await t.close();
    await restored.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('re-erases people erased after the backup and puts their ledger rows back', async () => {
    const tutor = tutorItem({ name: 'Ottoline Brackwater', email: 'ottoline.b@example.invalid' });
    const [{ id: tutorId }] = (await ingest(t.http, 'tutors', [tutor])) as { id: string }[];
    await ingest(t.http, 'students', [studentItem()]);
    const user = await createUser(t, ['tutor'], {
      email: tutor.email,
      fullName: tutor.name,
      tutorId,
    });
    const admin = await createUser(t, ['admin']);
    const tutorToken = (await apiSignIn(t, user.email, user.password, '198.18.10.1')).accessToken;
    const adminToken = (await apiSignIn(t, admin.email, admin.password, '198.18.10.2')).accessToken;

    // The nightly backup, taken before the erasure.
    const dump = join(dir, 'backup.dump');
    execFileSync('pg_dump', ['-Fc', '-f', dump, t.database.url]);

    const r = await request(t.http)
      .post('/api/v1/privacy/requests')
      .set('Authorization', `Bearer ${tutorToken}`)
      .send({ kind: 'erasure' })
      .expect(201);
    await request(t.http)
      .post(`/api/v1/compliance/gdpr-requests/${r.body.id}/complete`)
      .set('Authorization', `Bearer ${adminToken}`)
      .expect(201);

    // Disaster: restore the backup into an empty database. The tutor is back.
    execFileSync('pg_restore', ['--no-owner', '-d', restored.url, dump]);
    const db = await new DataSource({ type: 'postgres', url: restored.url }).initialize();
    try {
      const [before] = await db.query('SELECT name FROM tutors WHERE id = $1', [tutorId]);
      expect(before.name).toBe('Ottoline Brackwater');
      expect(await db.query('SELECT 1 FROM erasure_ledger')).toEqual([]);

      const out: string[] = [];
      const io = { log: (l: string) => out.push(l), error: (l: string) => out.push(`ERR ${l}`) };
      const code = await runErasureReplay(
        ['--database-url', restored.url, '--ledger', t.config.erasureLedgerFile],
        { NODE_ENV: 'test' },
        io,
      );
      expect(out.filter((l) => l.startsWith('ERR'))).toEqual([]);
      expect(code).toBe(0);
      expect(out.join('\n')).toMatch(/1 erasures replayed .*1 added back to the table/);

      const [tutorRow] = await db.query('SELECT name, email FROM tutors WHERE id = $1', [tutorId]);
      expect(tutorRow.name).toBe('Erased tutor');
      expect(tutorRow.email).not.toContain('ottoline');
      const [userRow] = await db.query(
        'SELECT email, full_name, is_active FROM users WHERE id = $1',
        [user.id],
      );
      expect(userRow).toMatchObject({ full_name: 'Erased user', is_active: false });
      const ledger = await db.query('SELECT subject_user_id FROM erasure_ledger');
      expect(ledger).toEqual([{ subject_user_id: user.id }]);

      // Running it again changes nothing and adds nothing.
      out.length = 0;
      expect(
        await runErasureReplay(
          ['--database-url', restored.url, '--ledger', t.config.erasureLedgerFile],
          { NODE_ENV: 'test' },
          io,
        ),
      ).toBe(0);
      expect(out.join('\n')).toMatch(/1 erasures replayed .*0 added back/);
      expect(await db.query('SELECT 1 FROM erasure_ledger')).toHaveLength(1);
      const students = await db.query(
        `SELECT count(*)::int AS n FROM students WHERE external_id LIKE 'erased-%'`,
      );
      expect(students[0].n).toBe(0);
    } finally {
      await db.destroy();
    }
  });

  it('explains its arguments', async () => {
    const out: string[] = [];
    const io = { log: (l: string) => out.push(l), error: (l: string) => out.push(l) };
    expect(await runErasureReplay(['--colour'], {}, io)).toBe(2);
    expect(out.join('\n')).toMatch(/unknown argument "--colour"[\s\S]*--database-url URL/);
  });
});

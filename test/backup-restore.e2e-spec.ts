import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createUser } from './helpers/auth';
import { completedSession, studentItem, tutorItem } from './helpers/fixtures';
import { ingest } from './helpers/ingest';
import { startTestApp, TestApp } from './helpers/test-app';
import { createTestDatabase, TestDatabase } from './helpers/test-database';
import { unpublishedEvents, waitFor } from './helpers/workers';

const ROOT = join(__dirname, '..');

function run(script: string, args: string[], input = '') {
  const r = spawnSync('bash', [join(ROOT, 'scripts', script), ...args], {
    cwd: ROOT,
    input,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
    timeout: 120_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Exact row counts of every table of the public schema. */
async function rowCounts(url: string): Promise<Record<string, number>> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    const { rows: tables } = await db.query<{ name: string }>(
      `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
    );
    const out: Record<string, number> = {};
    for (const { name } of tables) {
      const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${name}"`);
      out[name] = rows[0].n;
    }
    return out;
  } finally {
    await db.end();
  }
}

describe('backup and restore (scripts/backup.sh, scripts/restore.sh)', () => {
  let t: TestApp;
  let target: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'tm-backup-'));

  beforeAll(async () => {
    t = await startTestApp();
    // Data through the real paths: users, ingested records, the pipeline's own rows.
    await createUser(t, ['admin']);
    await createUser(t, ['operations_manager']);
    const tutors = await ingest(t.http, 'tutors', [tutorItem(), tutorItem()]);
    const students = await ingest(t.http, 'students', [studentItem(), studentItem()]);
    await ingest(
      t.http,
      'sessions',
      tutors.flatMap((tu) => students.map((s) => completedSession(tu.externalId!, s.externalId!))),
    );
    await waitFor('the outbox to drain', async () => (await unpublishedEvents(t.dataSource)) === 0);
    // Stop the app so nothing writes between the dump and the comparison.
    await t.app.close();
    target = await createTestDatabase();
  });
  afterAll(async () => {
    await t.database.drop();
    await target.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('dumps to a folder keeping the last N copies, and restores into an empty database with the same rows', async () => {
    for (let i = 0; i < 3; i++) {
      const b = run('backup.sh', ['--database-url', t.database.url, '--dir', dir, '--keep', '2']);
      expect(b).toMatchObject({ code: 0 });
      expect(b.out).toMatch(/^backup: postgres:\/\/postgres@127\.0\.0\.1:5432\/tm_test_\w+ → /);
      if (i < 2) await new Promise((r) => setTimeout(r, 1100)); // file names carry the second
    }
    const dumps = readdirSync(dir).sort();
    expect(dumps).toHaveLength(2);
    expect(
      dumps.every((f) => new RegExp(`^tutormax-${t.database.name}-\\d{8}T\\d{6}Z\\.dump$`).test(f)),
    ).toBe(true);

    const ledger = join(dir, 'erasure-ledger.jsonl');
    writeFileSync(ledger, '');
    const r = run('restore.sh', [
      '--yes',
      '--database-url',
      target.url,
      '--ledger',
      ledger,
      join(dir, dumps[1]),
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /restore: .* restored into postgres:\/\/postgres@127\.0\.0\.1:5432\/tm_test_\w+ \(\d+ tables/,
    );
    // The compliance CLI replays the ledger, or the script says loudly that it did not.
    expect(r.out).toMatch(/erasure ledger replayed|WARNING: .*erasure-replay\.js not found/);

    const before = await rowCounts(t.database.url);
    const after = await rowCounts(target.url);
    expect(Object.keys(before).length).toBeGreaterThan(20);
    expect(before.sessions).toBe(4);
    expect(before.users).toBe(2);
    expect(after).toEqual(before);
  });

  it('refuses a database that is not empty, and asks before restoring', async () => {
    const [dump] = readdirSync(dir).filter((f) => f.endsWith('.dump'));
    const full = run('restore.sh', ['--yes', '--database-url', target.url, join(dir, dump)]);
    expect(full.code).not.toBe(0);
    expect(full.out).toMatch(
      /refusing to restore into .*: it is not empty \(\d+ tables, views or sequences\)/,
    );

    const empty = await createTestDatabase();
    try {
      const no = run('restore.sh', ['--database-url', empty.url, join(dir, dump)], 'no\n');
      expect(no.code).not.toBe(0);
      expect(no.out).toMatch(/Type the database name \(tm_test_\w+\) to go on/);
      expect(no.out).toMatch(/not confirmed; nothing was changed/);
      expect(Object.keys(await rowCounts(empty.url))).toEqual([]);
      const yes = run(
        'restore.sh',
        ['--database-url', empty.url, join(dir, dump)],
        `${empty.name}\n`,
      );
      expect(yes.code).toBe(0);
      expect((await rowCounts(empty.url)).sessions).toBe(4);
    } finally {
      await empty.drop();
    }
  });

  it('streams a dump to stdout', () => {
    const r = spawnSync('bash', [join(ROOT, 'scripts', 'backup.sh'), '--stdout'], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: t.database.url },
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(r.status).toBe(0);
    expect(r.stdout.subarray(0, 5).toString()).toBe('PGDMP'); // the custom format's magic
  });
});

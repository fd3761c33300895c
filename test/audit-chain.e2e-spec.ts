import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { AUDIT_ACTIONS } from '../src/audit/audit-actions';
import { auditHash, canonicalTimeSql } from '../src/audit/audit-hash';
import { AuditEntry, AuditService } from '../src/audit/audit.service';
import { dataSourceOptions } from '../src/database/data-source-options';
import { FieldCipher } from '../src/security/field-cipher';
import { startTestApp, TestApp } from './helpers/test-app';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('audit log: hash chain, pruning, erasure, concurrent writers', () => {
  let t: TestApp;
  let audit: AuditService;

  const entry = (overrides: Partial<AuditEntry> = {}): AuditEntry => ({
    action: AUDIT_ACTIONS.signIn,
    outcome: 'success',
    actor: { type: 'user', id: '5b0e1a52-0000-4000-8000-000000000001' },
    resourceType: 'user',
    resourceId: '5b0e1a52-0000-4000-8000-000000000001',
    requestId: 'chain-test-request',
    ip: '198.51.100.23',
    userAgent: 'ChainTest/1.0',
    ...overrides,
  });
  const recordMany = async (n: number, overrides: Partial<AuditEntry> = {}) => {
    for (let i = 0; i < n; i++) await audit.record(entry(overrides));
  };
  /** Changes rows the way an intruder with database access would: triggers bypassed. */
  const tamper = (sql: string, params: unknown[] = []) =>
    t.dataSource.transaction(async (m) => {
      await m.query('SET LOCAL session_replication_role = replica');
      await m.query(sql, params);
    });
  /** Shifts seq of the matching rows (through negative numbers: the primary key is checked per row). */
  const renumber = async (where: string, by: number) => {
    await tamper(`UPDATE audit_log SET seq = -seq WHERE ${where}`);
    await tamper(`UPDATE audit_log SET seq = -seq + $1 WHERE seq < 0`, [by]);
  };
  const rowsOf = async () =>
    (await t.dataSource.query('SELECT seq::int AS seq FROM audit_log ORDER BY seq')).map(
      (r: { seq: number }) => r.seq,
    );
  const verifyCli = async (): Promise<{ code: number; out: string }> => {
    try {
      const { stdout } = await run('npm', ['run', '--silent', 'audit:verify'], {
        cwd: join(__dirname, '..'),
        env: { ...process.env, DATABASE_URL: t.database.url, NODE_ENV: 'test' },
      });
      return { code: 0, out: stdout };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, out: e.stdout + e.stderr };
    }
  };

  beforeAll(async () => {
    t = await startTestApp();
    audit = t.app.get(AuditService);
  });
  afterAll(() => t.close());

  it('an untouched chain verifies, in the service and with npm run audit:verify', async () => {
    await recordMany(6);
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: true, anchorSeq: '0' });
    expect(result.ok && result.checked).toBe((await rowsOf()).length);
    const rows = await t.dataSource.query(
      'SELECT seq::int AS seq, prev_hash, hash FROM audit_log ORDER BY seq',
    );
    expect(rows[0]).toMatchObject({ seq: 1, prev_hash: '0'.repeat(64) });
    for (let i = 1; i < rows.length; i++) expect(rows[i].prev_hash).toBe(rows[i - 1].hash);

    const cli = await verifyCli();
    expect(cli.code).toBe(0);
    expect(cli.out).toMatch(/^audit log intact: \d+ rows checked after anchor seq 0; head seq \d+/);
  });

  it('the database refuses to update or delete audit rows, except erasing IP and user agent', async () => {
    await expect(
      t.dataSource.query(`UPDATE audit_log SET action = 'auth.sign_out' WHERE seq = 1`),
    ).rejects.toThrow(/append-only/);
    await expect(t.dataSource.query('DELETE FROM audit_log WHERE seq = 1')).rejects.toThrow(
      /append-only/,
    );
    await expect(t.dataSource.query('TRUNCATE audit_log')).rejects.toThrow(/refused/);
    await expect(
      t.dataSource.query(`INSERT INTO audit_anchor VALUES (1, 1, repeat('0', 64), now())`),
    ).rejects.toThrow(/refused/);
    await t.dataSource.query('UPDATE audit_log SET user_agent_enc = NULL WHERE seq = 1');
    expect((await audit.verify()).ok).toBe(true);
  });

  it('reports a row edited with SQL, then verifies again once it is put back', async () => {
    await recordMany(3);
    const [{ action }] = await t.dataSource.query('SELECT action FROM audit_log WHERE seq = 4');
    await tamper(`UPDATE audit_log SET outcome = 'failure' WHERE seq = 4`);
    expect(await audit.verify()).toMatchObject({ ok: false, seq: '4', problem: 'edited' });

    const cli = await verifyCli();
    expect(cli.code).toBe(1);
    expect(cli.out).toMatch(/^audit log broken at seq 4 \(edited\)/);

    await tamper(`UPDATE audit_log SET outcome = 'success', action = $1 WHERE seq = 4`, [action]);
    expect((await audit.verify()).ok).toBe(true);
  });

  it('reports an edit even when the intruder recomputes the edited row’s own hash', async () => {
    const [row] = await t.dataSource.query(
      `SELECT seq::text AS seq, ${canonicalTimeSql('occurred_at')} AS occurred_at, actor_type,
        actor_id, action, resource_type, resource_id, request_id, outcome, changed_fields,
        details, prev_hash, hash FROM audit_log WHERE seq = 3`,
    );
    const forged = auditHash(row.prev_hash, {
      seq: row.seq,
      occurredAt: row.occurred_at,
      actorType: row.actor_type,
      actorId: row.actor_id,
      action: AUDIT_ACTIONS.signInFailed,
      resourceType: row.resource_type,
      resourceId: row.resource_id,
      requestId: row.request_id,
      outcome: 'failure',
      changedFields: row.changed_fields,
      details: row.details,
    });
    await tamper(`UPDATE audit_log SET action = $1, outcome = 'failure', hash = $2 WHERE seq = 3`, [
      AUDIT_ACTIONS.signInFailed,
      forged,
    ]);
    const broken = await audit.verify();
    expect(broken).toMatchObject({ ok: false, seq: '3', problem: 'edited' });
    expect(broken.ok === false && broken.message).toMatch(/row 3 was rewritten/);
    await tamper(`UPDATE audit_log SET action = $1, outcome = $2, hash = $3 WHERE seq = 3`, [
      row.action,
      row.outcome,
      row.hash,
    ]);
    expect((await audit.verify()).ok).toBe(true);
  });

  it('reports a deleted row as missing, and a renumbered chain as edited', async () => {
    const [{ saved }] = await t.dataSource.query(
      'SELECT to_jsonb(a) AS saved FROM audit_log a WHERE seq = 5',
    );
    await tamper('DELETE FROM audit_log WHERE seq = 5');
    const broken = await audit.verify();
    expect(broken).toMatchObject({ ok: false, seq: '5', problem: 'missing' });
    expect(broken.ok === false && broken.message).toMatch(/row 5 was removed/);

    // Closing the gap by renumbering later rows does not hide it.
    await renumber('seq > 5', -1);
    expect(await audit.verify()).toMatchObject({ ok: false, seq: '5', problem: 'edited' });
    await renumber('seq >= 5', 1);

    await tamper(
      `INSERT INTO audit_log SELECT * FROM jsonb_populate_record(NULL::audit_log, $1::jsonb)`,
      [JSON.stringify(saved)],
    );
    expect((await audit.verify()).ok).toBe(true);
  });

  it('an audit row written in a caller’s transaction rolls back with it, leaving no gap', async () => {
    const before = await rowsOf();
    await expect(
      t.dataSource.transaction(async (m) => {
        await audit.record(entry({ action: AUDIT_ACTIONS.rolesChanged }), m);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await rowsOf()).toEqual(before);
    await t.dataSource.transaction((m) => audit.record(entry(), m));
    expect(await rowsOf()).toEqual([...before, before.length + 1]);
    expect((await audit.verify()).ok).toBe(true);
  });

  it('50 writers on two connection pools at once never fork the chain', async () => {
    const second = await new DataSource(dataSourceOptions(t.database.url)).initialize();
    try {
      const otherReplica = new AuditService(second, t.app.get(FieldCipher));
      const before = (await rowsOf()).length;
      const written = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (i % 2 ? audit : otherReplica).record(entry({ requestId: `concurrent-${i}` })),
        ),
      );
      expect(new Set(written.map((w) => w.seq)).size).toBe(50);
      const seqs = await rowsOf();
      expect(seqs).toEqual(Array.from({ length: before + 50 }, (_, i) => i + 1));
      const [{ forks }] = await t.dataSource.query(
        'SELECT count(*) - count(DISTINCT prev_hash) AS forks FROM audit_log',
      );
      expect(Number(forks)).toBe(0);
      expect(await audit.verify()).toMatchObject({ ok: true, checked: before + 50 });
    } finally {
      await second.destroy();
    }
  });

  it('erasing a person’s IPs and user agents leaves the chain intact', async () => {
    const person = '5b0e1a52-0000-4000-8000-0000000000ee';
    await recordMany(2, { actor: { type: 'user', id: person } });
    const raw = await t.dataSource.query(
      'SELECT ip_enc, user_agent_enc FROM audit_log WHERE actor_id = $1',
      [person],
    );
    expect(raw[0].ip_enc).toMatch(/^enc1:/);
    expect(JSON.stringify(raw)).not.toContain('198.51.100.23');
    expect(await audit.eraseClientData(person)).toBe(2);
    const erased = await t.dataSource.query(
      'SELECT ip_enc, user_agent_enc FROM audit_log WHERE actor_id = $1',
      [person],
    );
    expect(erased).toEqual([
      { ip_enc: null, user_agent_enc: null },
      { ip_enc: null, user_agent_enc: null },
    ]);
    expect((await audit.verify()).ok).toBe(true);
  });

  it('pruning keeps the last pruned hash as the anchor; the chain verifies from it', async () => {
    const old = (await rowsOf()).length;
    const [last] = await t.dataSource.query(
      'SELECT seq::text AS seq, hash FROM audit_log WHERE seq = $1',
      [old],
    );
    await sleep(10);
    const [{ cut }] = await t.dataSource.query('SELECT clock_timestamp() AS cut');
    await sleep(10);
    await recordMany(3);
    const total = old + 3;
    const pruned = await audit.prune(cut);
    expect(pruned).toEqual({ deleted: old, anchor: { seq: String(old), hash: last.hash } });
    expect((await rowsOf())[0]).toBe(old + 1);
    const [anchor] = await t.dataSource.query('SELECT seq::text AS seq, hash FROM audit_anchor');
    expect(anchor).toEqual({ seq: String(old), hash: last.hash });
    const [marker] = await t.dataSource.query(
      `SELECT seq::int AS seq, actor_type, details FROM audit_log WHERE action = 'audit.pruned'`,
    );
    expect(marker).toMatchObject({
      seq: total + 1,
      actor_type: 'system',
      details: { deletedCount: old, anchorSeq: String(old), anchorHash: last.hash },
    });
    expect(await audit.verify()).toMatchObject({
      ok: true,
      anchorSeq: String(old),
      checked: 3 + 1,
    });

    // Appending after a prune continues from the head; pruning nothing changes nothing.
    await recordMany(2);
    expect(await audit.prune(new Date(0))).toEqual({ deleted: 0, anchor: null });
    expect((await audit.verify()).ok).toBe(true);
    expect((await verifyCli()).code).toBe(0);
  });

  it('reports rows removed behind a forged anchor', async () => {
    const [anchor] = await t.dataSource.query('SELECT seq::int AS seq, hash FROM audit_anchor');
    const cut = anchor.seq + 2;
    const [row] = await t.dataSource.query(
      'SELECT seq::text AS seq, hash FROM audit_log WHERE seq = $1',
      [cut],
    );
    await tamper('DELETE FROM audit_log WHERE seq <= $1', [cut]);
    await tamper('UPDATE audit_anchor SET seq = $1, hash = $2', [row.seq, row.hash]);
    expect(await audit.verify()).toMatchObject({ ok: false, seq: String(cut), problem: 'anchor' });
    // Without moving the anchor, the deletion is a gap right after it.
    await tamper('UPDATE audit_anchor SET seq = $1, hash = $2', [anchor.seq, anchor.hash]);
    expect(await audit.verify()).toMatchObject({
      ok: false,
      seq: String(anchor.seq + 1),
      problem: 'missing',
    });
  });

  it('prunes everything when every row is old, and appends the marker from the anchor', async () => {
    await tamper('DELETE FROM audit_log');
    await tamper('DELETE FROM audit_anchor');
    await recordMany(3);
    const result = await audit.prune(new Date(Date.now() + 60_000));
    expect(result.deleted).toBe(3);
    expect(await rowsOf()).toEqual([4]);
    expect(await audit.verify()).toMatchObject({ ok: true, anchorSeq: '3', checked: 1 });
  });
});

import { AuditService } from '../src/audit/audit.service';
import { ENCRYPTED_COLUMNS } from '../src/cli/encryption-rotate';
import { loadConfig } from '../src/config/app-config';
import { rotateEncryptedColumns } from '../src/security/encryption-rotation';
import { FieldCipher } from '../src/security/field-cipher';
import { startTestApp, TestApp } from './helpers/test-app';

const key = (fill: number) => Buffer.alloc(32, fill).toString('base64');

describe('key rotation covers the audit log’s encrypted client data', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ENCRYPTION_KEYS: `old1:${key(1)}` });
  });
  afterAll(() => t.close());

  it('re-encrypts ip_enc and user_agent_enc under the new key, and the chain still verifies', async () => {
    await t.app.get(AuditService).record({
      action: 'auth.sign_in',
      outcome: 'success',
      actor: { type: 'user', id: '00000000-0000-4000-8000-000000000001' },
      ip: '198.51.100.23',
      userAgent: 'rotation-test/1.0',
    });
    const before: { seq: string; ip_enc: string; user_agent_enc: string }[] =
      await t.dataSource.query(
        `SELECT seq::text, ip_enc, user_agent_enc FROM audit_log WHERE ip_enc IS NOT NULL ORDER BY seq`,
      );
    expect(before.length).toBeGreaterThan(0);
    expect(before[0].ip_enc).toMatch(/^enc1:old1:/);

    const rotated = new FieldCipher(
      loadConfig({ ENCRYPTION_KEYS: `new2:${key(2)},old1:${key(1)}` }),
    );
    const specs = ENCRYPTED_COLUMNS.filter((c) => c.table === 'audit_log');
    expect(specs.map((c) => c.column).sort()).toEqual(['ip_enc', 'user_agent_enc']);
    const result = await rotateEncryptedColumns(t.dataSource, rotated, specs, { batchSize: 1 });
    expect(result.every((r) => r.remaining === 0)).toBe(true);
    expect(result.find((r) => r.column === 'ip_enc')!.reencrypted).toBe(before.length);

    const after: { ip_enc: string; user_agent_enc: string }[] = await t.dataSource.query(
      `SELECT ip_enc, user_agent_enc FROM audit_log WHERE seq = $1`,
      [before[0].seq],
    );
    expect(after[0].ip_enc).toMatch(/^enc1:new2:/);
    expect(rotated.decrypt(after[0].ip_enc)).toBe('198.51.100.23');
    expect(rotated.decrypt(after[0].user_agent_enc)).toBe('rotation-test/1.0');
    expect((await t.app.get(AuditService).verify()).ok).toBe(true);
  });
});

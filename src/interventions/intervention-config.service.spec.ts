import type { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { CONFIG_REUSE_MS, InterventionConfigService } from './intervention-config.service';
import { DEFAULT_RULE_CONFIG } from './intervention-rules';

interface Row {
  kind: string;
  version: number;
  document: Record<string, unknown>;
  createdAt: Date;
  createdByUserId: string | null;
}

/** The versions table in memory; `hold()` makes the next read wait until released. */
function fakeDatabase() {
  const rows: Row[] = [];
  let held: Promise<void> | null = null;
  let reads = 0;
  const manager = {
    getRepository: () => ({
      findOne: async ({ where: { kind } }: { where: { kind: string } }) => {
        reads++;
        // What the table holds when the read starts, as a snapshot would.
        const newest = rows.filter((r) => r.kind === kind).sort((a, b) => b.version - a.version)[0];
        if (held) await held;
        return newest ?? null;
      },
      save: async (row: Row) => {
        rows.push(row);
        return row;
      },
    }),
    query: async (sql: string, [kind]: [string]) =>
      sql.includes('max(version)')
        ? [{ next: rows.filter((r) => r.kind === kind).length + 1 }]
        : [],
  } as unknown as EntityManager;
  const dataSource = {
    manager,
    transaction: <T>(work: (m: EntityManager) => Promise<T>) => work(manager),
  } as unknown as DataSource;
  return {
    dataSource,
    reads: () => reads,
    hold() {
      let release!: () => void;
      held = new Promise<void>((r) => (release = r));
      return () => {
        held = null;
        release();
      };
    },
  };
}

const withThreshold = (lowEngagement: number) => ({
  ...DEFAULT_RULE_CONFIG,
  thresholds: { ...DEFAULT_RULE_CONFIG.thresholds, lowEngagement },
});

describe('InterventionConfigService: the version in force, reused between saves', () => {
  it('reads once for many callers, and again after CONFIG_REUSE_MS', async () => {
    const db = fakeDatabase();
    let now = Date.parse('2026-11-26T12:00:00Z');
    const clock = { now: () => new Date(now) } as Clock;
    const config = new InterventionConfigService(db.dataSource, clock);
    const first = await Promise.all([config.rules(), config.rules(), config.sla()]);
    expect(first.map((c) => c.version)).toEqual([0, 0, 0]);
    expect(db.reads()).toBe(2); // rules once, sla once
    now += CONFIG_REUSE_MS - 1;
    await config.rules();
    expect(db.reads()).toBe(2);
    now += 2;
    await config.rules();
    expect(db.reads()).toBe(3);
  });

  it('puts a save in force at once, even while a read of the old version is in flight', async () => {
    const db = fakeDatabase();
    const config = new InterventionConfigService(db.dataSource, new Clock());
    await config.saveVersion('rules', withThreshold(0.5), null);
    expect((await config.rules()).version).toBe(1);
    await config.saveVersion('rules', withThreshold(0.45), null);
    // A refill starts (it reads version 2), and version 3 is saved before it ends.
    const release = db.hold();
    const refill = config.rules();
    await config.saveVersion('rules', withThreshold(0.4), null);
    release();
    // Its callers get what it read, not an error; the next read sees the save.
    expect((await refill).version).toBe(2);
    const current = await config.rules();
    expect(current.version).toBe(3);
    expect((current.document as typeof DEFAULT_RULE_CONFIG).thresholds.lowEngagement).toBe(0.4);
  });

  it('reads inside a transaction from the transaction, never from memory', async () => {
    const db = fakeDatabase();
    const config = new InterventionConfigService(db.dataSource, new Clock());
    await config.rules();
    const before = db.reads();
    await config.rules(db.dataSource.manager);
    await config.rules(db.dataSource.manager);
    expect(db.reads()).toBe(before + 2);
  });
});

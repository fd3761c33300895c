import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { runMigrationsLocked } from '../src/database/migrate';
import { createTestDatabase, TestDatabase } from './helpers/test-database';

describe('schema and migrations', () => {
  let db: TestDatabase;
  const sources: DataSource[] = [];
  const open = async () => {
    const ds = await new DataSource(dataSourceOptions(db.url)).initialize();
    sources.push(ds);
    return ds;
  };
  const migrationFiles = readdirSync(join(__dirname, '..', 'migrations')).filter((f) =>
    f.endsWith('.ts'),
  );

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(sources.map((s) => s.destroy()));
    await db.drop();
  });

  it('two replicas booting together apply each migration once, under the advisory lock', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    const [appliedA, appliedB] = await Promise.all([
      runMigrationsLocked(a),
      runMigrationsLocked(b),
    ]);
    expect(appliedA.length + appliedB.length).toBe(migrationFiles.length);
    const rows = await a.query('SELECT name FROM migrations');
    expect(rows).toHaveLength(migrationFiles.length);
  });

  it('the migrated schema matches the entities: generating a migration yields nothing', async () => {
    const ds = sources[0];
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('every migration reverts cleanly and re-applies', async () => {
    const ds = sources[0];
    for (let i = 0; i < migrationFiles.length; i++)
      await ds.undoLastMigration({ transaction: 'each' });
    const tables = await ds.query(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`,
    );
    expect(tables[0].n).toBe(0);
    expect(await runMigrationsLocked(ds)).toHaveLength(migrationFiles.length);
  });
});

import { DataSource } from 'typeorm';

/** Any fixed 64-bit number, shared by every replica of TutorMax. */
const MIGRATION_LOCK_KEY = 7_305_194_411;

/**
 * Applies pending migrations while holding a PostgreSQL advisory lock, so two
 * replicas booting together run them once, one after the other.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}

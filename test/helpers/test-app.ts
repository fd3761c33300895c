import { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app.factory';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { createTestDatabase, TEST_REDIS_URL, TestDatabase } from './test-database';

export const TEST_API_KEY = 'test-api-key-0123456789abcdef0123456789';

export interface TestApp {
  app: INestApplication;
  /** The HTTP server to hand to supertest. */
  http: ReturnType<INestApplication['getHttpServer']>;
  config: AppConfig;
  dataSource: DataSource;
  database: TestDatabase;
  close(): Promise<void>;
}

/**
 * Boots the whole application on a fresh database of its own and a private
 * queue prefix, on the real PostgreSQL and Redis.
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'tutormax-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: `test-${randomBytes(4).toString('hex')}`,
    API_KEYS: TEST_API_KEY,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    ...env,
  });
  const app = await createApp(config, { logger: false });
  await app.init();
  return {
    app,
    http: app.getHttpServer(),
    config,
    dataSource: app.get(DataSource),
    database,
    async close() {
      await app.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

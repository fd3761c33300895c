import 'reflect-metadata';
import 'dotenv/config';
import { DataSource } from 'typeorm';
import { verifyAuditChain } from '../audit/audit-chain';
import { ConfigError, loadConfig } from '../config/app-config';
import { dataSourceOptions } from '../database/data-source-options';

/**
 * npm run audit:verify
 *
 * Walks the audit log's hash chain in DATABASE_URL from the anchor and prints
 * one line. Exit 0: intact (with the head seq and hash, worth recording
 * elsewhere: a chain cannot show rows cut from its end). Exit 1: the first
 * edited or removed row. Exit 2: it could not check (configuration, database).
 */
async function main(): Promise<number> {
  const config = loadConfig(process.env);
  if (!config.DATABASE_URL) {
    console.error('audit:verify needs DATABASE_URL (postgres://...) of the database to check');
    return 2;
  }
  const dataSource = await new DataSource(dataSourceOptions(config.DATABASE_URL)).initialize();
  try {
    const result = await verifyAuditChain(dataSource);
    if (result.ok) {
      console.log(
        `audit log intact: ${result.checked} rows checked after anchor seq ${result.anchorSeq}; ` +
          `head seq ${result.head.seq}, hash ${result.head.hash}`,
      );
      return 0;
    }
    console.log(
      `audit log broken at seq ${result.seq} (${result.problem}): ${result.message}; ` +
        `${result.checked} rows before it verified`,
    );
    return 1;
  } finally {
    await dataSource.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message =
      error instanceof ConfigError ? error.message : error instanceof Error ? error.message : error;
    console.error(`audit:verify could not check the audit log: ${String(message)}`);
    process.exit(2);
  },
);

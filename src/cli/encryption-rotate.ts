import 'reflect-metadata';
import 'dotenv/config';
import { DataSource } from 'typeorm';
import { AppConfig, ConfigError, loadConfig } from '../config/app-config';
import { dataSourceOptions } from '../database/data-source-options';
import {
  ColumnRotation,
  EncryptedColumnSpec,
  rotateEncryptedColumns,
} from '../security/encryption-rotation';
import { FieldCipher } from '../security/field-cipher';
import { NOTIFICATION_ENCRYPTED_COLUMNS } from '../notifications/entities/notification-message.entity';
import { TUTORING_ENCRYPTED_COLUMNS } from '../tutoring/personal-data';
import { AUDIT_ENCRYPTED_COLUMNS } from '../audit/audit-actions';
import { MANAGER_NOTE_ENCRYPTED_COLUMNS } from '../interventions/entities/tutor-manager-note.entity';

/** Every column encrypted with FieldCipher that the rotation walks. */
export const ENCRYPTED_COLUMNS: EncryptedColumnSpec[] = [
  ...TUTORING_ENCRYPTED_COLUMNS,
  ...NOTIFICATION_ENCRYPTED_COLUMNS,
  ...AUDIT_ENCRYPTED_COLUMNS,
  ...MANAGER_NOTE_ENCRYPTED_COLUMNS,
];

export const ROTATE_USAGE = `Usage: npm run encryption:rotate [-- --batch-size N]

Re-encrypts, with the first key of ENCRYPTION_KEYS, every stored value sealed
with an older key. Rotate a key in three steps:
  1. put the new key first in ENCRYPTION_KEYS, keeping the old ones after it,
     and restart every process (each key still decrypts);
  2. run this command (safe to interrupt and run again; the app keeps running);
  3. once it reports nothing remaining, remove the old key.
It also encrypts plaintext left in a database created before personal data was
encrypted, and fills missing hashes.

  --batch-size N   rows per query, 1-10000 (default 1000)

Needs DATABASE_URL and the app's ENCRYPTION_KEYS and BLIND_INDEX_KEY.`;

export interface RotateIo {
  log: (line: string) => void;
  error: (line: string) => void;
}

function parseBatchSize(argv: string[]): number | 'help' | string {
  let batchSize = 1000;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    const [flag, inline] = arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    if (flag !== '--batch-size') return `unknown argument "${arg}"`;
    const value = inline ?? argv[++i] ?? '';
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(n >= 1 && n <= 10_000)) return `--batch-size must be a whole number from 1 to 10000`;
    batchSize = n;
  }
  return batchSize;
}

export function formatRotation(kid: string, columns: ColumnRotation[]): string {
  const lines = [`active key: ${kid}`];
  for (const c of columns) {
    lines.push(
      `  ${`${c.table}.${c.column}`.padEnd(28)} ${c.reencrypted} re-encrypted, ${c.encrypted} encrypted from plaintext, ` +
        `${c.hashesFilled} hashes filled, ${c.skipped} changed meanwhile, ${c.remaining} remaining`,
    );
  }
  return lines.join('\n');
}

/** The command, callable in-process (tests); returns the exit code. */
export async function runEncryptionRotation(
  argv: string[],
  env: Record<string, string | undefined>,
  io: RotateIo = { log: console.log, error: console.error },
): Promise<number> {
  const parsed = parseBatchSize(argv);
  if (parsed === 'help') {
    io.log(ROTATE_USAGE);
    return 0;
  }
  if (typeof parsed === 'string') {
    io.error(`encryption:rotate: ${parsed}\n\n${ROTATE_USAGE}`);
    return 2;
  }
  let config: AppConfig;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.error(`encryption:rotate: ${error.message}`);
    return 1;
  }
  if (!config.DATABASE_URL) {
    io.error('encryption:rotate: DATABASE_URL is not set; it needs the PostgreSQL URL of the app');
    return 1;
  }
  const cipher = new FieldCipher(config);
  const dataSource = await new DataSource(dataSourceOptions(config.DATABASE_URL)).initialize();
  try {
    if (await dataSource.showMigrations()) {
      io.error(
        'encryption:rotate: the database has pending migrations; start the app or run `npm run migration:run` first',
      );
      return 1;
    }
    const columns = await rotateEncryptedColumns(dataSource, cipher, ENCRYPTED_COLUMNS, {
      batchSize: parsed,
    });
    io.log(formatRotation(cipher.activeKeyId, columns));
    const remaining = columns.reduce((n, c) => n + c.remaining, 0);
    if (remaining) {
      io.error(
        `encryption:rotate: ${remaining} values still need work (a process with an older ENCRYPTION_KEYS is writing?); run again`,
      );
      return 1;
    }
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  runEncryptionRotation(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error('encryption:rotate failed:', error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}

import 'reflect-metadata';
import 'dotenv/config';
import { existsSync, readFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { eraseSubject } from '../compliance/erasure';
import type { LedgerLine } from '../compliance/erasure-ledger.service';
import type { PersonalDataHandler } from '../compliance/personal-data-registry';
import { platformPersonalData } from '../compliance/platform-personal-data';
import { archivePersonalData } from '../compliance/retention-archive';
import { AppConfig, ConfigError, loadConfig } from '../config/app-config';
import { dataSourceOptions } from '../database/data-source-options';
import { FieldCipher } from '../security/field-cipher';
import { selfServicePersonalData } from '../self-service/self-service-personal-data';
import { tutoringPersonalData } from '../tutoring/tutoring-personal-data';

export const REPLAY_USAGE = `Usage: node dist/src/cli/erasure-replay.js --database-url URL [--ledger FILE]

Re-applies every erasure in the erasure ledger (GDPR erasures and parents'
COPPA deletion requests) to a database restored from a backup, so that nobody
erased after the backup was taken comes back.
Run it after every restore, before the app uses the database (scripts/restore.sh
does). Safe to run again: erased records stay erased, nothing else changes.

  --database-url URL  the restored database (PostgreSQL URL)
  --ledger FILE       the JSONL ledger (default: ERASURE_LEDGER_PATH, else DATA_DIR/erasure-ledger.jsonl)

Entries come from the file and from the restored erasure_ledger table; an entry
missing from the table is added back. Needs the app's ENCRYPTION_KEYS and
BLIND_INDEX_KEY (personal data is encrypted).`;

export interface ReplayIo {
  log: (line: string) => void;
  error: (line: string) => void;
}

/** Every module's personal-data handler, as the app registers them (this CLI is a composition root). */
export function allPersonalDataHandlers(
  cipher: FieldCipher,
  config: AppConfig,
): PersonalDataHandler[] {
  return [
    tutoringPersonalData(cipher),
    selfServicePersonalData,
    ...platformPersonalData(cipher, config.mailDropDir),
    archivePersonalData(cipher),
  ];
}

function parseArgs(argv: string[]): { databaseUrl?: string; ledger?: string } | 'help' | string {
  const out: { databaseUrl?: string; ledger?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    const [flag, inline] = arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    if (flag !== '--database-url' && flag !== '--ledger') return `unknown argument "${arg}"`;
    const value = inline ?? argv[++i];
    if (!value) return `${flag} needs a value`;
    if (flag === '--database-url') out.databaseUrl = value;
    else out.ledger = value;
  }
  return out;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function readLedger(file: string): LedgerLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      const line = JSON.parse(l) as LedgerLine;
      // A child erased at a parent's request has a studentId and no subjectUserId.
      if (!UUID.test(line.subjectUserId ?? '') && !UUID.test(line.studentId ?? ''))
        throw new Error(`${file}:${i + 1}: not a ledger entry (no subjectUserId or studentId)`);
      return line;
    });
}

/** The command, callable in-process (tests); returns the exit code. */
export async function runErasureReplay(
  argv: string[],
  env: Record<string, string | undefined>,
  io: ReplayIo = { log: console.log, error: console.error },
): Promise<number> {
  const args = parseArgs(argv);
  if (args === 'help') {
    io.log(REPLAY_USAGE);
    return 0;
  }
  if (typeof args === 'string') {
    io.error(`erasure-replay: ${args}\n\n${REPLAY_USAGE}`);
    return 2;
  }
  let config: AppConfig;
  try {
    config = loadConfig({
      ...env,
      ...(args.databaseUrl ? { DATABASE_URL: args.databaseUrl } : {}),
      ...(args.ledger ? { ERASURE_LEDGER_PATH: args.ledger } : {}),
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.error(`erasure-replay: ${error.message}`);
    return 1;
  }
  if (!config.DATABASE_URL) {
    io.error('erasure-replay: pass --database-url (or set DATABASE_URL)');
    return 2;
  }
  const file = config.erasureLedgerFile;
  let fromFile: LedgerLine[];
  try {
    fromFile = readLedger(file);
  } catch (error) {
    io.error(`erasure-replay: ${(error as Error).message}`);
    return 1;
  }
  if (!existsSync(file))
    io.log(`erasure-replay: no ledger file at ${file}; replaying the table only`);
  const cipher = new FieldCipher(config);
  const handlers = allPersonalDataHandlers(cipher, config);
  const dataSource = await new DataSource(dataSourceOptions(config.DATABASE_URL)).initialize();
  try {
    if (await dataSource.showMigrations()) {
      io.error(
        'erasure-replay: the database has pending migrations; run `npm run migration:run` first',
      );
      return 1;
    }
    const inTable: {
      request_id: string | null;
      subject_user_id: string | null;
      tutor_id: string | null;
      student_id: string | null;
      erased_at: Date;
    }[] = await dataSource.query(
      'SELECT request_id, subject_user_id, tutor_id, student_id, erased_at FROM erasure_ledger ORDER BY seq',
    );
    const key = (u: string | null, s: string | null, at: string) =>
      `${u ?? ''}|${s ?? ''}|${new Date(at).toISOString()}`;
    const known = new Set(
      inTable.map((r) => key(r.subject_user_id, r.student_id, r.erased_at.toISOString())),
    );
    const entries = [
      ...inTable.map((r) => ({
        requestId: r.request_id,
        subjectUserId: r.subject_user_id,
        tutorId: r.tutor_id,
        studentId: r.student_id,
        erasedAt: r.erased_at.toISOString(),
        missing: false,
      })),
      ...fromFile
        .filter((l) => !known.has(key(l.subjectUserId, l.studentId, l.erasedAt)))
        .map((l) => ({ ...l, missing: true })),
    ];
    let restoredRows = 0;
    let added = 0;
    for (const entry of entries) {
      await dataSource.transaction(async (m) => {
        const counts = await eraseSubject(m, cipher, handlers, {
          userId: entry.subjectUserId,
          tutorId: entry.tutorId,
          studentId: entry.studentId,
        });
        restoredRows += Object.values(counts).reduce((a, b) => a + b, 0);
        if (entry.missing) {
          await m.query(
            `INSERT INTO erasure_ledger (request_id, subject_user_id, tutor_id, student_id, erased_at) VALUES ($1, $2, $3, $4, $5)`,
            [entry.requestId, entry.subjectUserId, entry.tutorId, entry.studentId, entry.erasedAt],
          );
          added++;
        }
      });
    }
    io.log(
      `erasure-replay: ${entries.length} erasures replayed (${fromFile.length} in ${file}, ${inTable.length} in the table; ${added} added back to the table); ${restoredRows} rows touched`,
    );
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  runErasureReplay(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`erasure-replay: ${(error as Error).stack ?? String(error)}`);
      process.exit(1);
    },
  );
}

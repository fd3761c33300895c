import 'reflect-metadata';
import 'dotenv/config';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../config/app-config';
import { dataSourceOptions } from '../database/data-source-options';
import { runMigrationsLocked } from '../database/migrate';
import { FieldCipher } from '../security/field-cipher';
import {
  SimulationRefusedError,
  SyntheticDataService,
  SyntheticLoadSummary,
  SyntheticTableCounts,
} from '../tutoring/synthetic/synthetic-data.service';
import { utcMidnight } from '../tutoring/synthetic/synthetic-generator';
import { SYNTHETIC_PARAMETERS } from '../tutoring/synthetic/synthetic-parameters';

/**
 * npm run seed -- --tutors 250 --days 90 --seed 42 [--end YYYY-MM-DD] [--no-progress]
 *
 * Applies pending migrations, then writes the synthetic data set (DOMAIN.md
 * §7.7) into DATABASE_URL. Refused when NODE_ENV=production.
 */
export const SEED_USAGE = `Usage: npm run seed -- [--tutors N] [--days N] [--seed N] [--end YYYY-MM-DD] [--no-progress]

  --tutors N       tutors to generate, 1-${SYNTHETIC_PARAMETERS.limits.maxTutors} (default ${SYNTHETIC_PARAMETERS.defaults.tutors})
  --days N         days of history before the end date, 1-${SYNTHETIC_PARAMETERS.limits.maxDays} (default ${SYNTHETIC_PARAMETERS.defaults.days})
  --seed N         random seed, 0-4294967295 (default ${SYNTHETIC_PARAMETERS.defaults.seed}); same seed and end date, same data
  --end DATE       the "now" of the data set, YYYY-MM-DD in UTC, not after today (default today)
  --no-progress    no progress bar

Needs DATABASE_URL (postgres://...). Refused when NODE_ENV=production.`;

export class UsageError extends Error {}

export interface SeedArguments {
  tutors: number;
  days: number;
  seed: number;
  endDate: Date;
  progress: boolean;
  help: boolean;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function wholeNumber(flag: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max} (got "${value}")`);
  }
  return n;
}

function dateFlag(value: string, today: Date): Date {
  const m = DATE.exec(value);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
    throw new UsageError(`--end must be a calendar date as YYYY-MM-DD (got "${value}")`);
  }
  if (date.getTime() > utcMidnight(today).getTime()) {
    throw new UsageError(
      `--end must not be after today (${utcMidnight(today).toISOString().slice(0, 10)}); got ${value}`,
    );
  }
  return date;
}

/** Parses the flags; throws UsageError with a clear message on a bad one. */
export function parseSeedArguments(argv: string[], today: Date = new Date()): SeedArguments {
  const { defaults, limits } = SYNTHETIC_PARAMETERS;
  const args: SeedArguments = {
    tutors: defaults.tutors,
    days: defaults.days,
    seed: defaults.seed,
    endDate: utcMidnight(today),
    progress: true,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      args.help = true;
      continue;
    }
    if (arg === '--no-progress') {
      args.progress = false;
      continue;
    }
    const [flag, inline] = arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    if (!['--tutors', '--days', '--seed', '--end'].includes(flag)) {
      throw new UsageError(`unknown argument "${arg}"`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('--'))) {
      throw new UsageError(`${flag} needs a value`);
    }
    if (flag === '--tutors') args.tutors = wholeNumber(flag, value, 1, limits.maxTutors);
    else if (flag === '--days') args.days = wholeNumber(flag, value, 1, limits.maxDays);
    else if (flag === '--seed') args.seed = wholeNumber(flag, value, 0, 0xffffffff);
    else args.endDate = dateFlag(value, today);
  }
  return args;
}

const TABLES: [keyof SyntheticTableCounts, string][] = [
  ['tutors', 'tutors'],
  ['students', 'students'],
  ['sessions', 'sessions'],
  ['feedback', 'student_feedback'],
  ['tutorEvents', 'tutor_events'],
];

export function formatSummary(summary: SyntheticLoadSummary): string {
  const { options, generated, inserted } = summary;
  const lines = [
    `seeded ${options.tutors} tutors x ${options.days} days (seed ${options.seed}, ending ${options.endDate
      .toISOString()
      .slice(0, 10)}) in ${summary.seconds.toFixed(1)} s`,
  ];
  for (const [key, table] of TABLES) {
    const skipped = generated[key] - inserted[key];
    lines.push(
      `  ${table.padEnd(17)}${inserted[key].toLocaleString('en-US').padStart(10)}` +
        (skipped ? `  (${skipped.toLocaleString('en-US')} already present, kept)` : ''),
    );
  }
  if (summary.renumbered)
    lines.push(`  renumbered ${summary.renumbered} sessions to the server rule`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  let args: SeedArguments;
  try {
    args = parseSeedArguments(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`seed: ${error.message}\n\n${SEED_USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(SEED_USAGE);
    return 0;
  }
  if (process.env.NODE_ENV?.trim().toLowerCase() === 'production') {
    console.error(`seed: ${new SimulationRefusedError().message}`);
    return 1;
  }
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(
      'seed: DATABASE_URL is not set; the seed needs a PostgreSQL URL, e.g.\n' +
        '  DATABASE_URL=postgres://user:password@127.0.0.1:5432/tutormax npm run seed',
    );
    return 1;
  }
  if (!/^postgres(ql)?:\/\/.+/.test(url)) {
    console.error('seed: DATABASE_URL must be a postgres:// URL');
    return 1;
  }

  // Personal data is encrypted with the app's keys (ENCRYPTION_KEYS, BLIND_INDEX_KEY).
  let cipher: FieldCipher;
  try {
    cipher = new FieldCipher(loadConfig(process.env));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`seed: ${error.message}`);
    return 1;
  }

  const started = Date.now();
  const dataSource = await new DataSource(dataSourceOptions(url)).initialize();
  try {
    const applied = await runMigrationsLocked(dataSource);
    if (applied.length) console.log(`applied migrations: ${applied.join(', ')}`);
    const summary = await new SyntheticDataService(dataSource, cipher).load({
      tutors: args.tutors,
      days: args.days,
      seed: args.seed,
      endDate: args.endDate,
      nodeEnv: process.env.NODE_ENV,
      progress: args.progress,
      title: 'seed',
    });
    console.log(formatSummary(summary));
    console.log(
      `done in ${((Date.now() - started) / 1000).toFixed(1)} s (with connecting and migrations)`,
    );
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error('seed failed:', error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Presets, SingleBar } from 'cli-progress';
import { DataSource, QueryRunner } from 'typeorm';
import { FieldCipher } from '../../security/field-cipher';
import { BulkColumn, textArrayColumn } from '../ingestion/bulk-upsert';
import { sealFeedbackText, sealStudent, WITHHELD_STUDENT_NAME } from '../personal-data';
import {
  SyntheticFeedback,
  SyntheticGenerator,
  SyntheticOptions,
  SyntheticSession,
  SyntheticStudent,
  SyntheticTutor,
  SyntheticTutorBatch,
  SyntheticTutorEvent,
  syntheticOptionProblems,
  utcMidnight,
} from './synthetic-generator';
import { SYNTHETIC_PARAMETERS } from './synthetic-parameters';

/** Rows per INSERT statement. */
const CHUNK_ROWS = 5000;
/** Groups of tutors written at the same time, each in its own transaction. */
const PARALLEL_WRITES = 3;

export class SimulationRefusedError extends Error {
  constructor() {
    super('simulation is refused in production (NODE_ENV=production)');
    this.name = 'SimulationRefusedError';
  }
}

/** Throws SimulationRefusedError when `nodeEnv` is production. */
export function assertSimulationAllowed(nodeEnv: string | undefined): void {
  if (nodeEnv?.trim().toLowerCase() === 'production') throw new SimulationRefusedError();
}

export interface SyntheticLoadOptions extends Partial<SyntheticOptions> {
  /** The process's NODE_ENV: production is refused. Required so no caller forgets it. */
  nodeEnv: string | undefined;
  /** Draw a progress bar on stderr (a line every 5 s when it is not a terminal). Default false. */
  progress?: boolean;
  /** Label in front of the progress bar. */
  title?: string;
}

export interface SyntheticTableCounts {
  tutors: number;
  students: number;
  sessions: number;
  feedback: number;
  tutorEvents: number;
}

export interface SyntheticLoadSummary {
  options: SyntheticOptions;
  /** Rows the generator produced. */
  generated: SyntheticTableCounts;
  /** Rows written; fewer than generated only when external ids were already present. */
  inserted: SyntheticTableCounts;
  /** Sessions whose number the final server-rule renumbering changed (expected 0). */
  renumbered: number;
  seconds: number;
}

const zeroCounts = (): SyntheticTableCounts => ({
  tutors: 0,
  students: 0,
  sessions: 0,
  feedback: 0,
  tutorEvents: 0,
});

function addCounts(into: SyntheticTableCounts, more: SyntheticTableCounts): void {
  for (const key of Object.keys(into) as (keyof SyntheticTableCounts)[]) into[key] += more[key];
}

/** Fills in defaults (250 tutors, 90 days, seed 42, today) and validates. */
export function resolveSyntheticOptions(options: Partial<SyntheticOptions> = {}): SyntheticOptions {
  const { defaults } = SYNTHETIC_PARAMETERS;
  const resolved: SyntheticOptions = {
    tutors: options.tutors ?? defaults.tutors,
    days: options.days ?? defaults.days,
    seed: options.seed ?? defaults.seed,
    endDate: utcMidnight(options.endDate ?? new Date()),
  };
  const problems = syntheticOptionProblems(resolved);
  if (!problems.length && resolved.endDate.getTime() > utcMidnight(new Date()).getTime())
    problems.push(
      'endDate must not be after today: generated sessions would have taken place in the future',
    );
  if (problems.length)
    throw new RangeError(`invalid synthetic data options: ${problems.join('; ')}`);
  return resolved;
}

/**
 * One INSERT … SELECT FROM unnest(…) statement. `from` may join reference
 * tables on the unnested external ids (alias `u`); rows whose external id (or
 * any other unique key) already exists are skipped.
 */
interface Insert<T> {
  table: string;
  /** Columns as passed in (one array parameter each). */
  input: BulkColumn[];
  /** Target column names and the SELECT expression for each. */
  output: [string, string][];
  joins?: string;
  /** Personal data is encrypted here, with `cipher`. */
  row: (item: T, cipher: FieldCipher) => unknown[];
}

const col = (name: string, type: string): BulkColumn => ({ name, type });
const direct = (names: string[]): [string, string][] => names.map((n) => [n, `u.${n}`]);

const TUTORS: Insert<SyntheticTutor> = {
  table: 'tutors',
  input: [
    col('external_id', 'varchar'),
    col('name', 'varchar'),
    col('email', 'varchar'),
    col('onboarding_date', 'date'),
    col('status', 'varchar'),
    col('subjects', 'text'),
    col('education_level', 'varchar'),
    col('location', 'varchar'),
    col('baseline_sessions_per_week', 'real'),
    col('behavioral_archetype', 'varchar'),
  ],
  output: [
    ...direct(['external_id', 'name', 'email', 'onboarding_date', 'status']),
    ['subjects', textArrayColumn('subjects').select!('u.subjects')],
    ...direct([
      'education_level',
      'location',
      'baseline_sessions_per_week',
      'behavioral_archetype',
    ]),
  ],
  row: (t) => [
    t.externalId,
    t.name,
    t.email,
    t.onboardingDate,
    t.status,
    JSON.stringify(t.subjects),
    t.educationLevel,
    t.location,
    t.baselineSessionsPerWeek,
    t.behavioralArchetype,
  ],
};

const STUDENTS: Insert<SyntheticStudent> = {
  table: 'students',
  input: [
    col('external_id', 'varchar'),
    col('name', 'text'),
    col('name_hash', 'varchar'),
    col('birth_year', 'smallint'),
    col('birth_month', 'smallint'),
    col('grade_level', 'varchar'),
    col('email', 'text'),
    col('email_index', 'varchar'),
    col('subjects_interested', 'text'),
    col('parent_email', 'text'),
    col('parent_email_index', 'varchar'),
    col('parent_consent_status', 'varchar'),
    col('parent_consent_at', 'timestamptz'),
  ],
  output: [
    ...direct([
      'external_id',
      'name',
      'name_hash',
      'birth_year',
      'birth_month',
      'grade_level',
      'email',
      'email_index',
    ]),
    ['subjects_interested', textArrayColumn('x').select!('u.subjects_interested')],
    ...direct(['parent_email', 'parent_email_index', 'parent_consent_status', 'parent_consent_at']),
  ],
  row: (s, cipher) => {
    // COPPA: a child whose parent has not consented is stored without their name.
    const sealed = sealStudent(
      cipher,
      s.parentConsentStatus === 'pending' ? { ...s, name: WITHHELD_STUDENT_NAME } : s,
    );
    return [
      s.externalId,
      sealed.name,
      sealed.nameHash,
      s.birthYear,
      s.birthMonth,
      s.gradeLevel,
      sealed.email,
      sealed.emailIndex,
      JSON.stringify(s.subjectsInterested),
      sealed.parentEmail,
      sealed.parentEmailIndex,
      s.parentConsentStatus,
      s.parentConsentAt,
    ];
  },
};

const SESSIONS: Insert<SyntheticSession> = {
  table: 'sessions',
  input: [
    col('external_id', 'varchar'),
    col('tutor_external_id', 'varchar'),
    col('student_external_id', 'varchar'),
    col('session_number', 'int'),
    col('scheduled_start', 'timestamptz'),
    col('actual_start', 'timestamptz'),
    col('duration_minutes', 'smallint'),
    col('subject', 'varchar'),
    col('session_type', 'varchar'),
    col('status', 'varchar'),
    col('tutor_initiated_reschedule', 'boolean'),
    col('late_start_minutes', 'smallint'),
    col('engagement_score', 'real'),
    col('learning_objectives_met', 'boolean'),
    col('technical_issues', 'boolean'),
  ],
  output: [
    ['external_id', 'u.external_id'],
    ['tutor_id', 't.id'],
    ['student_id', 'st.id'],
    ...direct([
      'session_number',
      'scheduled_start',
      'actual_start',
      'duration_minutes',
      'subject',
      'session_type',
      'status',
      'tutor_initiated_reschedule',
      'late_start_minutes',
      'engagement_score',
      'learning_objectives_met',
      'technical_issues',
    ]),
  ],
  joins:
    'JOIN tutors t ON t.external_id = u.tutor_external_id JOIN students st ON st.external_id = u.student_external_id',
  row: (s) => [
    s.externalId,
    s.tutorExternalId,
    s.studentExternalId,
    s.sessionNumber,
    s.scheduledStart,
    s.actualStart,
    s.durationMinutes,
    s.subject,
    s.sessionType,
    s.status,
    s.tutorInitiatedReschedule,
    s.lateStartMinutes,
    s.engagementScore,
    s.learningObjectivesMet,
    s.technicalIssues,
  ],
};

const FEEDBACK: Insert<SyntheticFeedback> = {
  table: 'student_feedback',
  input: [
    col('external_id', 'varchar'),
    col('session_external_id', 'varchar'),
    col('overall_rating', 'smallint'),
    col('subject_knowledge_rating', 'smallint'),
    col('communication_rating', 'smallint'),
    col('patience_rating', 'smallint'),
    col('engagement_rating', 'smallint'),
    col('helpfulness_rating', 'smallint'),
    col('would_recommend', 'boolean'),
    col('work_again', 'varchar'),
    col('improvement_areas', 'text'),
    col('free_text', 'text'),
    col('free_text_hash', 'varchar'),
    col('submitted_at', 'timestamptz'),
  ],
  output: [
    ['external_id', 'u.external_id'],
    ['session_id', 's.id'],
    ['student_id', 's.student_id'],
    ['tutor_id', 's.tutor_id'],
    ...direct([
      'overall_rating',
      'subject_knowledge_rating',
      'communication_rating',
      'patience_rating',
      'engagement_rating',
      'helpfulness_rating',
      'would_recommend',
      'work_again',
    ]),
    ['improvement_areas', textArrayColumn('x').select!('u.improvement_areas')],
    ...direct(['free_text', 'free_text_hash', 'submitted_at']),
  ],
  // Feedback only ever attaches to a session that took place.
  joins: "JOIN sessions s ON s.external_id = u.session_external_id AND s.status = 'completed'",
  row: (f, cipher) => {
    const comment = sealFeedbackText(cipher, f.freeText);
    return [
      f.externalId,
      f.sessionExternalId,
      f.overallRating,
      f.subjectKnowledgeRating,
      f.communicationRating,
      f.patienceRating,
      f.engagementRating,
      f.helpfulnessRating,
      f.wouldRecommend,
      f.workAgain,
      JSON.stringify(f.improvementAreas),
      comment.freeText,
      comment.freeTextHash,
      f.submittedAt,
    ];
  },
};

const TUTOR_EVENTS: Insert<SyntheticTutorEvent> = {
  table: 'tutor_events',
  input: [
    col('external_id', 'varchar'),
    col('tutor_external_id', 'varchar'),
    col('event_type', 'varchar'),
    col('occurred_at', 'timestamptz'),
    col('response_minutes', 'real'),
    col('metadata', 'jsonb'),
  ],
  output: [
    ['external_id', 'u.external_id'],
    ['tutor_id', 't.id'],
    ...direct(['event_type', 'occurred_at', 'response_minutes', 'metadata']),
  ],
  joins: 'JOIN tutors t ON t.external_id = u.tutor_external_id',
  row: (e) => [
    e.externalId,
    e.tutorExternalId,
    e.eventType,
    e.occurredAt,
    e.responseMinutes,
    JSON.stringify(e.metadata),
  ],
};

function insertSql<T>(spec: Insert<T>): string {
  const names = spec.input.map((c) => c.name);
  const unnest = spec.input.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ');
  return `INSERT INTO ${spec.table} (${spec.output.map(([n]) => n).join(', ')})
    SELECT ${spec.output.map(([, e]) => e).join(', ')}
    FROM unnest(${unnest}) AS u(${names.join(', ')}) ${spec.joins ?? ''}
    ON CONFLICT DO NOTHING`;
}

/** Writes rows in statements of CHUNK_ROWS; returns how many were inserted. */
async function insertAll<T>(
  runner: QueryRunner,
  cipher: FieldCipher,
  spec: Insert<T>,
  items: T[],
): Promise<number> {
  const sql = insertSql(spec);
  let inserted = 0;
  for (let from = 0; from < items.length; from += CHUNK_ROWS) {
    const rows = items.slice(from, from + CHUNK_ROWS).map((item) => spec.row(item, cipher));
    const params = spec.input.map((_, i) => rows.map((r) => r[i]));
    const result = await runner.query(sql, params, true);
    inserted += result.affected ?? 0;
  }
  return inserted;
}

/**
 * Writes the synthetic data set (DOMAIN.md §7.7) into the database in bulk:
 * multi-row INSERTs of up to 5,000 rows, a few groups of tutors at a time. It
 * writes no outbox events: the nightly batch jobs compute metrics from the
 * history. Personal data is encrypted with `cipher` (the app's FieldCipher, or
 * one built from the same configuration by the seed CLI). Refused in production.
 */
@Injectable()
export class SyntheticDataService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: FieldCipher,
  ) {}

  async load(options: SyntheticLoadOptions): Promise<SyntheticLoadSummary> {
    assertSimulationAllowed(options.nodeEnv);
    const resolved = resolveSyntheticOptions(options);
    const started = Date.now();
    const generator = new SyntheticGenerator(resolved);
    const generated = zeroCounts();
    const inserted = zeroCounts();

    const tutors = generator.tutors;
    generated.tutors = tutors.length;
    inserted.tutors = await this.inTransaction((runner) =>
      insertAll(runner, this.cipher, TUTORS, tutors),
    );

    const bar = options.progress
      ? new SingleBar(
          {
            format: `${options.title ?? 'synthetic data'} |{bar}| {value}/{total} tutors | {sessions} sessions | {duration}s`,
            hideCursor: true,
            // Without a terminal (logs, CI): a plain line every few seconds.
            noTTYOutput: true,
            notTTYSchedule: 5000,
          },
          Presets.shades_classic,
        )
      : null;
    bar?.start(tutors.length, 0, { sessions: 0 });

    let failure: unknown = null;
    const writing = new Set<Promise<void>>();
    const write = (group: SyntheticTutorBatch[]) => {
      const done: Promise<void> = this.writeGroup(group)
        .then((counts) => {
          addCounts(inserted, counts);
          bar?.increment(group.length, { sessions: inserted.sessions });
        })
        .catch((error: unknown) => {
          failure ??= error;
        })
        .finally(() => writing.delete(done));
      writing.add(done);
    };

    try {
      let group: SyntheticTutorBatch[] = [];
      let groupSessions = 0;
      for (const batch of generator.batches()) {
        generated.students += batch.students.length;
        generated.sessions += batch.sessions.length;
        generated.feedback += batch.feedback.length;
        generated.tutorEvents += batch.events.length;
        group.push(batch);
        groupSessions += batch.sessions.length;
        if (groupSessions >= CHUNK_ROWS) {
          while (writing.size >= PARALLEL_WRITES) await Promise.race(writing);
          if (failure) break;
          write(group);
          group = [];
          groupSessions = 0;
        }
        // Let the database round trips progress while the next tutor is generated.
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (group.length && !failure) write(group);
      await Promise.all(writing);
      if (failure) throw failure;
    } finally {
      bar?.stop();
    }

    const renumbered = await this.renumberPairs(tutors.map((t) => t.externalId));
    await this.dataSource.query(
      'ANALYZE tutors, students, sessions, student_feedback, tutor_events',
    );
    return {
      options: resolved,
      generated,
      inserted,
      renumbered,
      seconds: (Date.now() - started) / 1000,
    };
  }

  private async writeGroup(group: SyntheticTutorBatch[]): Promise<SyntheticTableCounts> {
    return this.inTransaction(async (runner) => ({
      tutors: 0,
      students: await insertAll(
        runner,
        this.cipher,
        STUDENTS,
        group.flatMap((b) => b.students),
      ),
      sessions: await insertAll(
        runner,
        this.cipher,
        SESSIONS,
        group.flatMap((b) => b.sessions),
      ),
      feedback: await insertAll(
        runner,
        this.cipher,
        FEEDBACK,
        group.flatMap((b) => b.feedback),
      ),
      tutorEvents: await insertAll(
        runner,
        this.cipher,
        TUTOR_EVENTS,
        group.flatMap((b) => b.events),
      ),
    }));
  }

  /**
   * The server's rule, set-based: session_number = row_number over
   * (tutor, student) by (scheduled_start, external_id). The generator already
   * numbers sessions this way, so this normally changes nothing.
   */
  private async renumberPairs(tutorExternalIds: string[]): Promise<number> {
    const result = await this.dataSource.query(
      `UPDATE sessions s SET session_number = r.rn
       FROM (
         SELECT id, row_number() OVER (PARTITION BY tutor_id, student_id ORDER BY scheduled_start, external_id) AS rn
         FROM sessions
         WHERE tutor_id IN (SELECT id FROM tutors WHERE external_id = ANY($1::varchar[]))
       ) r
       WHERE s.id = r.id AND s.session_number IS DISTINCT FROM r.rn`,
      [tutorExternalIds],
    );
    // TypeORM answers an UPDATE with [rows, affected].
    return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
  }

  private async inTransaction<T>(work: (runner: QueryRunner) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      const result = await work(runner);
      await runner.commitTransaction();
      return result;
    } catch (error) {
      await runner.rollbackTransaction();
      throw error;
    } finally {
      await runner.release();
    }
  }
}

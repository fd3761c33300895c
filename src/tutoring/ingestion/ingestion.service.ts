import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../../common/clock';
import { FieldError } from '../../common/error-body';
import { FieldCipher } from '../../security/field-cipher';
import { OutboxService } from '../../workers/outbox.service';
import {
  FeedbackItem,
  SessionItem,
  StudentItem,
  TutorEventItem,
  TutorItem,
} from '../dto/ingest-items.dto';
import {
  COPPA_AGE,
  MAX_SCHEDULE_AHEAD_DAYS,
  SessionStatus,
  STUDENT_CONSENT_NEEDED,
} from '../tutoring.constants';
import { ageOn } from '../student-age';
import { sealFeedbackText, sealStudent, WITHHELD_STUDENT_NAME } from '../personal-data';
import { BatchOutcome, BatchResult, mapInChunks, validateItems } from './batch';
import { bulkUpsert, idsByExternalId, StoredOutcome, textArrayColumn } from './bulk-upsert';
import { planSessionNumbers, renumberPairs } from './session-numbering';

const DAY_MS = 86_400_000;
/** Tolerated clock difference between an upstream system and us. */
const CLOCK_SKEW_MS = 5 * 60_000;
const MAX_METADATA_BYTES = 4096;

const problem = (field: string, message: string): FieldError[] => [{ field, message }];
const lower = (s: string) => s.trim().toLowerCase();

/**
 * Upserts batches of tutoring records by externalId. Each request is one
 * transaction: valid items are stored together with their outbox events,
 * invalid ones are reported by index and field, and nothing is half-written.
 */
@Injectable()
export class IngestionService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
    private readonly cipher: FieldCipher,
  ) {}

  async ingestTutors(items: unknown[]): Promise<BatchResult> {
    const batch = await validateItems(TutorItem, items);
    const today = this.clock.now().toISOString().slice(0, 10);
    batch.filter((t) =>
      t.onboardingDate > today
        ? problem('onboardingDate', 'onboardingDate must not be in the future')
        : undefined,
    );
    return this.dataSource.transaction(async (manager) => {
      const managerEmails = batch.accepted
        .map((a) => a.item.managerEmail)
        .filter((e): e is string => !!e);
      const managers = await this.usersByEmail(manager, managerEmails);
      batch.filter((t) =>
        t.managerEmail && !managers.has(lower(t.managerEmail))
          ? problem('managerEmail', `no user with email ${t.managerEmail}`)
          : undefined,
      );
      await this.rejectTakenEmails(manager, batch);
      const stored = await bulkUpsert(
        manager,
        'tutors',
        [
          { name: 'external_id', type: 'varchar' },
          { name: 'name', type: 'varchar' },
          { name: 'email', type: 'varchar' },
          { name: 'onboarding_date', type: 'date' },
          { name: 'status', type: 'varchar' },
          textArrayColumn('subjects'),
          { name: 'education_level', type: 'varchar' },
          { name: 'location', type: 'varchar' },
          { name: 'baseline_sessions_per_week', type: 'real' },
          { name: 'behavioral_archetype', type: 'varchar' },
          { name: 'manager_user_id', type: 'uuid' },
        ],
        batch.accepted.map(({ item: t }) => [
          t.externalId,
          t.name.trim(),
          lower(t.email),
          t.onboardingDate,
          t.status ?? 'active',
          JSON.stringify(t.subjects),
          t.educationLevel ?? null,
          t.location ?? null,
          t.baselineSessionsPerWeek ?? null,
          t.behavioralArchetype ?? null,
          t.managerEmail ? managers.get(lower(t.managerEmail)) : null,
        ]),
        { touchUpdatedAt: true },
      );
      await this.emit(manager, stored, 'tutor.recorded', (id) => ({ tutorId: id }));
      return batch.finish(stored);
    });
  }

  async ingestStudents(items: unknown[]): Promise<BatchResult> {
    const batch = await validateItems(StudentItem, items);
    const now = this.clock.now();
    batch.filter((s) => {
      const age = ageOn(s.birthYear, s.birthMonth, now);
      if (age < 0) return problem('birthYear', 'birth year and month must not be in the future');
      if (age < 3 || age > 100)
        return problem('birthYear', `a student aged ${age} is outside 3-100`);
      // Without parentEmail a child is stored with the minimal set only and
      // waits for a parent contact (the COPPA page lists them).
      if (age < COPPA_AGE && s.email)
        return problem(
          'email',
          `a student under ${COPPA_AGE} may not have their own email; send parentEmail`,
        );
      return undefined;
    });
    const children = new Set(
      batch.accepted
        .filter(({ item: s }) => ageOn(s.birthYear, s.birthMonth, now) < COPPA_AGE)
        .map(({ item: s }) => s.externalId),
    );
    const withheld = sealStudent(this.cipher, {
      name: WITHHELD_STUDENT_NAME,
      email: null,
      parentEmail: null,
    });
    // Personal data is encrypted before the transaction opens, in chunks.
    const rows = await mapInChunks(batch.accepted, ({ item: s }) => {
      const sealed = sealStudent(this.cipher, {
        name: s.name.trim(),
        email: s.email ? lower(s.email) : null,
        parentEmail: s.parentEmail ? lower(s.parentEmail) : null,
      });
      return [
        s.externalId,
        sealed.name,
        sealed.nameHash,
        s.birthYear,
        s.birthMonth,
        s.gradeLevel ?? null,
        sealed.email,
        sealed.emailIndex,
        JSON.stringify(s.subjectsInterested ?? []),
        sealed.parentEmail,
        sealed.parentEmailIndex,
      ];
    });
    return this.dataSource.transaction(async (manager) => {
      // COPPA: a child's name is stored only once a parent has verified consent.
      // The children's rows are locked first, so a consent given meanwhile is
      // seen here (and a name is never overwritten by the placeholder after it).
      if (children.size) {
        const consented: { external_id: string }[] = await manager.query(
          `SELECT external_id FROM students WHERE external_id = ANY($1::varchar[])
             AND parent_consent_status = 'granted' ORDER BY external_id FOR UPDATE`,
          [[...children].sort()],
        );
        for (const { external_id } of consented) children.delete(external_id);
        for (const row of rows) {
          if (!children.has(row[0] as string)) continue;
          row[1] = withheld.name;
          row[2] = withheld.nameHash;
        }
      }
      const stored = await bulkUpsert(
        manager,
        'students',
        [
          { name: 'external_id', type: 'varchar' },
          { name: 'name', type: 'text', compareBy: 'name_hash' },
          { name: 'name_hash', type: 'varchar' },
          { name: 'birth_year', type: 'smallint' },
          { name: 'birth_month', type: 'smallint' },
          { name: 'grade_level', type: 'varchar' },
          { name: 'email', type: 'text', compareBy: 'email_index' },
          { name: 'email_index', type: 'varchar' },
          textArrayColumn('subjects_interested'),
          { name: 'parent_email', type: 'text', compareBy: 'parent_email_index' },
          { name: 'parent_email_index', type: 'varchar' },
        ],
        rows,
        { touchUpdatedAt: true },
      );
      // A child newly known to be under 13 waits for parental consent.
      const ids = [...stored.values()].filter((o) => o.status !== 'unchanged').map((o) => o.id);
      if (ids.length) {
        await manager.query(
          `UPDATE students SET parent_consent_status = CASE
             WHEN make_date(birth_year, birth_month, 1) > date_trunc('month', $2::timestamptz) - interval '${COPPA_AGE} years'
               THEN CASE WHEN parent_consent_status = 'not_required' THEN 'pending' ELSE parent_consent_status END
             ELSE 'not_required' END
           WHERE id = ANY($1::uuid[])`,
          [ids, now],
        );
      }
      await this.emit(manager, stored, 'student.recorded', (id) => ({ studentId: id }));
      // A child without consent, new or changed: compliance asks the parent (once per address).
      const asking = [...stored]
        .filter(([externalId, o]) => o.status !== 'unchanged' && children.has(externalId))
        .map(([, o]) => ({ type: STUDENT_CONSENT_NEEDED, payload: { studentId: o.id } }));
      if (asking.length) await this.outbox.append(manager, asking);
      return batch.finish(stored);
    });
  }

  async ingestSessions(items: unknown[]): Promise<BatchResult> {
    const batch = await validateItems(SessionItem, items);
    const now = this.clock.now().getTime();
    batch.filter((s) => sessionProblems(s, now));
    return this.dataSource.transaction(async (manager) => {
      const tutors = await idsByExternalId(
        manager,
        'tutors',
        batch.accepted.map((a) => a.item.tutorExternalId),
      );
      const students = await idsByExternalId(
        manager,
        'students',
        batch.accepted.map((a) => a.item.studentExternalId),
      );
      batch.filter((s) => {
        const errors: FieldError[] = [];
        if (!tutors.has(s.tutorExternalId))
          errors.push({
            field: 'tutorExternalId',
            message: `no tutor with externalId ${s.tutorExternalId}`,
          });
        if (!students.has(s.studentExternalId))
          errors.push({
            field: 'studentExternalId',
            message: `no student with externalId ${s.studentExternalId}`,
          });
        return errors;
      });
      const plan = await planSessionNumbers(
        manager,
        batch.accepted.map(({ item: s }) => ({
          externalId: s.externalId,
          tutorId: tutors.get(s.tutorExternalId)!,
          studentId: students.get(s.studentExternalId)!,
          scheduledStart: s.scheduledStart,
        })),
      );
      const rows = batch.accepted
        .map(({ item: s }) => [
          s.externalId,
          tutors.get(s.tutorExternalId),
          students.get(s.studentExternalId),
          plan.numbers.get(s.externalId) ?? 0,
          s.scheduledStart,
          s.actualStart ?? null,
          s.durationMinutes,
          s.subject,
          s.sessionType ?? '1-on-1',
          sessionStatus(s),
          s.tutorInitiatedReschedule ?? false,
          s.lateStartMinutes ?? 0,
          s.engagementScore ?? null,
          s.learningObjectivesMet ?? null,
          s.technicalIssues ?? false,
        ])
        // Lock rows in one order so concurrent batches cannot deadlock.
        .sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1));
      const stored = await bulkUpsert(
        manager,
        'sessions',
        [
          { name: 'external_id', type: 'varchar' },
          { name: 'tutor_id', type: 'uuid' },
          { name: 'student_id', type: 'uuid' },
          { name: 'session_number', type: 'int', insertOnly: true },
          { name: 'scheduled_start', type: 'timestamptz' },
          { name: 'actual_start', type: 'timestamptz' },
          { name: 'duration_minutes', type: 'smallint' },
          { name: 'subject', type: 'varchar' },
          { name: 'session_type', type: 'varchar' },
          { name: 'status', type: 'varchar' },
          { name: 'tutor_initiated_reschedule', type: 'boolean' },
          { name: 'late_start_minutes', type: 'smallint' },
          { name: 'engagement_score', type: 'real' },
          { name: 'learning_objectives_met', type: 'boolean' },
          { name: 'technical_issues', type: 'boolean' },
        ],
        rows,
        { touchUpdatedAt: true },
      );
      await renumberPairs(manager, plan.renumber);
      const tutorOf = new Map(rows.map((r) => [r[0] as string, r[1] as string]));
      const upcoming = new Set(
        batch.accepted
          .filter(({ item: s }) => Date.parse(s.scheduledStart) > now)
          .map(({ item: s }) => s.externalId),
      );
      await this.emit(manager, stored, 'session.recorded', (id, externalId) => ({
        sessionId: id,
        tutorId: tutorOf.get(externalId) ?? null,
        // Whether the session is still to come: the relay gives handlers that want only
        // those (first-session scoring) no job for a session that is over.
        upcoming: upcoming.has(externalId),
      }));
      return batch.finish(stored);
    });
  }

  async ingestFeedback(items: unknown[]): Promise<BatchResult> {
    const batch = await validateItems(FeedbackItem, items);
    const now = this.clock.now().getTime();
    batch.filter((f) =>
      Date.parse(f.submittedAt) > now + CLOCK_SKEW_MS
        ? problem('submittedAt', 'submittedAt must not be in the future')
        : undefined,
    );
    return this.dataSource.transaction(async (manager) => {
      const sessionRows: {
        id: string;
        external_id: string;
        tutor_id: string;
        student_id: string;
        status: SessionStatus;
        actual_start: Date | null;
        feedback_external_id: string | null;
        birth_year: number;
        birth_month: number;
        parent_consent_status: string;
      }[] = await manager.query(
        `SELECT s.id, s.external_id, s.tutor_id, s.student_id, s.status, s.actual_start,
                f.external_id AS feedback_external_id,
                st.birth_year, st.birth_month, st.parent_consent_status
         FROM sessions s JOIN students st ON st.id = s.student_id
         LEFT JOIN student_feedback f ON f.session_id = s.id
         WHERE s.external_id = ANY($1::varchar[])`,
        [[...new Set(batch.accepted.map((a) => a.item.sessionExternalId))]],
      );
      const sessions = new Map(sessionRows.map((s) => [s.external_id, s]));
      const claimed = new Map<string, string>();
      batch.filter((f) => {
        const session = sessions.get(f.sessionExternalId);
        if (!session)
          return problem('sessionExternalId', `no session with externalId ${f.sessionExternalId}`);
        if (session.status !== 'completed') {
          return problem(
            'sessionExternalId',
            `session ${f.sessionExternalId} did not take place (status ${session.status}); feedback needs a completed session`,
          );
        }
        if (
          ageOn(session.birth_year, session.birth_month, this.clock.now()) < COPPA_AGE &&
          session.parent_consent_status !== 'granted'
        ) {
          return problem(
            'sessionExternalId',
            `the student of session ${f.sessionExternalId} is under ${COPPA_AGE} without verified parental consent; their feedback is not accepted`,
          );
        }
        if (session.actual_start && Date.parse(f.submittedAt) < session.actual_start.getTime()) {
          return problem('submittedAt', 'submittedAt is before the session started');
        }
        const owner = session.feedback_external_id ?? claimed.get(session.id);
        if (owner && owner !== f.externalId) {
          return problem(
            'sessionExternalId',
            `session ${f.sessionExternalId} already has feedback ${owner}`,
          );
        }
        claimed.set(session.id, f.externalId);
        return undefined;
      });
      const rows = await mapInChunks(batch.accepted, ({ item: f }) => {
        const s = sessions.get(f.sessionExternalId)!;
        const comment = sealFeedbackText(this.cipher, f.freeText?.trim() || null);
        return [
          f.externalId,
          s.id,
          s.student_id,
          s.tutor_id,
          f.overallRating,
          f.subjectKnowledgeRating ?? null,
          f.communicationRating ?? null,
          f.patienceRating ?? null,
          f.engagementRating ?? null,
          f.helpfulnessRating ?? null,
          f.wouldRecommend ?? null,
          f.workAgain ?? null,
          JSON.stringify(f.improvementAreas ?? []),
          comment.freeText,
          comment.freeTextHash,
          f.submittedAt,
        ];
      });
      const stored = await bulkUpsert(
        manager,
        'student_feedback',
        [
          { name: 'external_id', type: 'varchar' },
          { name: 'session_id', type: 'uuid' },
          { name: 'student_id', type: 'uuid' },
          { name: 'tutor_id', type: 'uuid' },
          { name: 'overall_rating', type: 'smallint' },
          { name: 'subject_knowledge_rating', type: 'smallint' },
          { name: 'communication_rating', type: 'smallint' },
          { name: 'patience_rating', type: 'smallint' },
          { name: 'engagement_rating', type: 'smallint' },
          { name: 'helpfulness_rating', type: 'smallint' },
          { name: 'would_recommend', type: 'boolean' },
          { name: 'work_again', type: 'varchar' },
          textArrayColumn('improvement_areas'),
          { name: 'free_text', type: 'text', compareBy: 'free_text_hash' },
          { name: 'free_text_hash', type: 'varchar' },
          { name: 'submitted_at', type: 'timestamptz' },
        ],
        rows,
        { touchUpdatedAt: true },
      );
      const byExternal = new Map(
        batch.accepted.map(({ item }) => [item.externalId, sessions.get(item.sessionExternalId)!]),
      );
      await this.emit(manager, stored, 'feedback.recorded', (id, externalId) => ({
        feedbackId: id,
        sessionId: byExternal.get(externalId)?.id ?? null,
        tutorId: byExternal.get(externalId)?.tutor_id ?? null,
      }));
      return batch.finish(stored);
    });
  }

  async ingestTutorEvents(items: unknown[]): Promise<BatchResult> {
    const batch = await validateItems(TutorEventItem, items);
    const now = this.clock.now().getTime();
    batch.filter((e) => {
      if (Date.parse(e.occurredAt) > now + CLOCK_SKEW_MS)
        return problem('occurredAt', 'occurredAt must not be in the future');
      if (e.metadata && Buffer.byteLength(JSON.stringify(e.metadata)) > MAX_METADATA_BYTES) {
        return problem('metadata', `metadata must be at most ${MAX_METADATA_BYTES} bytes of JSON`);
      }
      return undefined;
    });
    return this.dataSource.transaction(async (manager) => {
      const tutors = await idsByExternalId(
        manager,
        'tutors',
        batch.accepted.map((a) => a.item.tutorExternalId),
      );
      batch.filter((e) =>
        tutors.has(e.tutorExternalId)
          ? undefined
          : problem('tutorExternalId', `no tutor with externalId ${e.tutorExternalId}`),
      );
      const stored = await bulkUpsert(
        manager,
        'tutor_events',
        [
          { name: 'external_id', type: 'varchar' },
          { name: 'tutor_id', type: 'uuid' },
          { name: 'event_type', type: 'varchar' },
          { name: 'occurred_at', type: 'timestamptz' },
          { name: 'response_minutes', type: 'real' },
          { name: 'metadata', type: 'jsonb' },
        ],
        batch.accepted.map(({ item: e }) => [
          e.externalId,
          tutors.get(e.tutorExternalId),
          e.eventType,
          e.occurredAt,
          e.responseMinutes ?? null,
          JSON.stringify(e.metadata ?? {}),
        ]),
        { touchUpdatedAt: false },
      );
      const tutorOf = new Map(
        batch.accepted.map(({ item }) => [item.externalId, tutors.get(item.tutorExternalId)!]),
      );
      await this.emit(manager, stored, 'tutor-event.recorded', (id, externalId) => ({
        tutorEventId: id,
        tutorId: tutorOf.get(externalId) ?? null,
      }));
      return batch.finish(stored);
    });
  }

  /** One outbox event per created or updated record. */
  private async emit(
    manager: EntityManager,
    stored: Map<string, StoredOutcome>,
    type: string,
    payload: (id: string, externalId: string) => Record<string, string | boolean | null>,
  ): Promise<void> {
    const events = [];
    for (const [externalId, outcome] of stored) {
      if (outcome.status !== 'unchanged')
        events.push({ type, payload: payload(outcome.id, externalId) });
    }
    await this.outbox.append(manager, events);
  }

  private async usersByEmail(
    manager: EntityManager,
    emails: string[],
  ): Promise<Map<string, string>> {
    if (!emails.length) return new Map();
    const rows: { id: string; email: string }[] = await manager.query(
      'SELECT id, email FROM users WHERE email = ANY($1::varchar[])',
      [[...new Set(emails.map(lower))]],
    );
    return new Map(rows.map((r) => [r.email, r.id]));
  }

  /** An email belongs to one tutor: refuse it for another externalId, in the batch or stored. */
  private async rejectTakenEmails(
    manager: EntityManager,
    batch: BatchOutcome<TutorItem>,
  ): Promise<void> {
    const emails = batch.accepted.map((a) => lower(a.item.email));
    const rows: { email: string; external_id: string }[] = await manager.query(
      'SELECT email, external_id FROM tutors WHERE email = ANY($1::varchar[])',
      [[...new Set(emails)]],
    );
    const owner = new Map(rows.map((r) => [r.email, r.external_id]));
    batch.filter((t) => {
      const email = lower(t.email);
      const current = owner.get(email);
      if (current && current !== t.externalId)
        return problem('email', `email is already used by tutor ${current}`);
      owner.set(email, t.externalId);
      return undefined;
    });
  }
}

function sessionStatus(s: SessionItem): SessionStatus {
  return s.status ?? (s.actualStart ? 'completed' : 'scheduled');
}

/** Rules across fields of one session (DOMAIN.md §7.5). */
export function sessionProblems(s: SessionItem, nowMs: number): FieldError[] {
  const errors: FieldError[] = [];
  const status = sessionStatus(s);
  const scheduled = Date.parse(s.scheduledStart);
  if (scheduled > nowMs + MAX_SCHEDULE_AHEAD_DAYS * DAY_MS) {
    errors.push({
      field: 'scheduledStart',
      message: `scheduledStart must be at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead`,
    });
  }
  if ((s.lateStartMinutes ?? 0) > s.durationMinutes) {
    errors.push({
      field: 'lateStartMinutes',
      message: 'lateStartMinutes must not exceed durationMinutes',
    });
  }
  const outcomes: (keyof SessionItem)[] = [
    'actualStart',
    'engagementScore',
    'learningObjectivesMet',
    'lateStartMinutes',
  ];
  if (status === 'completed') {
    if (!s.actualStart)
      errors.push({
        field: 'actualStart',
        message: 'actualStart is required for a completed session',
      });
    else if (Date.parse(s.actualStart) > nowMs + CLOCK_SKEW_MS) {
      errors.push({ field: 'actualStart', message: 'actualStart must not be in the future' });
    }
  } else {
    for (const field of outcomes) {
      if (s[field] !== undefined) {
        errors.push({
          field,
          message: `${field} is an outcome; a ${status} session must not carry it`,
        });
      }
    }
    if (status === 'no_show' && scheduled > nowMs + CLOCK_SKEW_MS) {
      errors.push({ field: 'status', message: 'a session in the future cannot be a no-show' });
    }
  }
  return errors;
}

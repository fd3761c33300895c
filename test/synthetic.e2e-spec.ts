import { AppConfig } from '../src/config/app-config';
import { FieldCipher } from '../src/security/field-cipher';
import { WITHHELD_STUDENT_NAME } from '../src/tutoring/personal-data';
import { StudentsService } from '../src/tutoring/students.service';
import { loadDemoDataIfEmpty } from '../src/tutoring/synthetic/demo-data';
import {
  SimulationRefusedError,
  SyntheticDataService,
  SyntheticLoadSummary,
} from '../src/tutoring/synthetic/synthetic-data.service';
import {
  generateSyntheticDataset,
  SyntheticDataset,
} from '../src/tutoring/synthetic/synthetic-generator';
import { startTestApp, TestApp } from './helpers/test-app';

const END = new Date('2025-06-01T00:00:00Z');
const OPTIONS = { tutors: 20, days: 14, seed: 11, endDate: END };

describe('synthetic data generator (database)', () => {
  let t: TestApp;
  let expected: SyntheticDataset;
  let summary: SyntheticLoadSummary;
  let cipher: FieldCipher;
  const count = async (table: string, where = 'true') =>
    Number(
      (await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`))[0].n,
    );

  beforeAll(async () => {
    t = await startTestApp();
    cipher = t.app.get(FieldCipher);
    expected = generateSyntheticDataset(OPTIONS);
    summary = await new SyntheticDataService(t.dataSource, cipher).load({
      ...OPTIONS,
      nodeEnv: 'test',
    });
  });
  afterAll(() => t.close());

  it('writes exactly the rows the generator produces', async () => {
    const generated = {
      tutors: expected.tutors.length,
      students: expected.students.length,
      sessions: expected.sessions.length,
      feedback: expected.feedback.length,
      tutorEvents: expected.events.length,
    };
    expect(summary.generated).toEqual(generated);
    expect(summary.inserted).toEqual(generated);
    expect(summary.renumbered).toBe(0);
    expect(await count('tutors')).toBe(20);
    expect(await count('students')).toBe(generated.students);
    expect(await count('sessions')).toBe(generated.sessions);
    expect(await count('student_feedback')).toBe(generated.feedback);
    expect(await count('tutor_events')).toBe(generated.tutorEvents);
  });

  it('stores the generated values row for row', async () => {
    const rows: {
      external_id: string;
      tutor: string;
      student: string;
      session_number: number;
      scheduled_start: Date;
      actual_start: Date | null;
      status: string;
      engagement_score: number | null;
      late_start_minutes: number;
    }[] = await t.dataSource.query(
      `SELECT s.external_id, t.external_id AS tutor, st.external_id AS student, s.session_number,
              s.scheduled_start, s.actual_start, s.status, s.engagement_score, s.late_start_minutes
       FROM sessions s JOIN tutors t ON t.id = s.tutor_id JOIN students st ON st.id = s.student_id
       ORDER BY s.external_id`,
    );
    expect(
      rows.map((r) => ({
        externalId: r.external_id,
        tutorExternalId: r.tutor,
        studentExternalId: r.student,
        sessionNumber: r.session_number,
        scheduledStart: r.scheduled_start.toISOString(),
        actualStart: r.actual_start?.toISOString() ?? null,
        status: r.status,
        // real (float4) keeps about 7 significant digits
        engagementScore:
          r.engagement_score === null ? null : Math.round(r.engagement_score * 1000) / 1000,
        lateStartMinutes: r.late_start_minutes,
      })),
    ).toEqual(
      expected.sessions.map((s) => ({
        externalId: s.externalId,
        tutorExternalId: s.tutorExternalId,
        studentExternalId: s.studentExternalId,
        sessionNumber: s.sessionNumber,
        scheduledStart: s.scheduledStart,
        actualStart: s.actualStart,
        status: s.status,
        engagementScore: s.engagementScore,
        lateStartMinutes: s.lateStartMinutes,
      })),
    );
    const [tutor] = await t.dataSource.query(
      `SELECT name, email, onboarding_date::text AS onboarding_date, subjects, status, behavioral_archetype
       FROM tutors WHERE external_id = $1`,
      [expected.tutors[0].externalId],
    );
    expect(tutor).toEqual({
      name: expected.tutors[0].name,
      email: expected.tutors[0].email,
      onboarding_date: expected.tutors[0].onboardingDate,
      subjects: expected.tutors[0].subjects,
      status: 'active',
      behavioral_archetype: expected.tutors[0].behavioralArchetype,
    });
  });

  it('numbers each pair’s sessions as the server does: row_number by (scheduled_start, external_id)', async () => {
    const [{ wrong, pairs }] = await t.dataSource.query(
      `SELECT count(*) FILTER (WHERE session_number <> rn)::int AS wrong,
              count(DISTINCT (tutor_id, student_id))::int AS pairs
       FROM (SELECT tutor_id, student_id, session_number,
                    row_number() OVER (PARTITION BY tutor_id, student_id ORDER BY scheduled_start, external_id) AS rn
             FROM sessions) x`,
    );
    expect(wrong).toBe(0);
    expect(pairs).toBe(expected.students.length);
  });

  it('attaches feedback only to completed sessions, after they started and not in the future', async () => {
    const [row] = await t.dataSource.query(
      `SELECT count(*) FILTER (WHERE s.status <> 'completed')::int AS not_completed,
              count(*) FILTER (WHERE f.submitted_at < s.actual_start)::int AS too_early,
              count(*) FILTER (WHERE f.submitted_at > $1)::int AS future,
              count(*) FILTER (WHERE f.tutor_id <> s.tutor_id OR f.student_id <> s.student_id)::int AS mismatched
       FROM student_feedback f JOIN sessions s ON s.id = f.session_id`,
      [END],
    );
    expect(row).toEqual({ not_completed: 0, too_early: 0, future: 0, mismatched: 0 });
  });

  it('leaves future sessions without outcomes and keeps past ones out of "scheduled"', async () => {
    expect(
      await count(
        'sessions',
        `scheduled_start >= '${END.toISOString()}' AND (status <> 'scheduled' OR actual_start IS NOT NULL
         OR engagement_score IS NOT NULL OR learning_objectives_met IS NOT NULL OR late_start_minutes <> 0 OR technical_issues)`,
      ),
    ).toBe(0);
    expect(await count('sessions', `scheduled_start >= '${END.toISOString()}'`)).toBeGreaterThan(0);
    expect(
      await count(
        'sessions',
        `scheduled_start > '${END.toISOString()}'::timestamptz + interval '30 days'`,
      ),
    ).toBe(0);
    expect(
      await count('sessions', `scheduled_start < '${END.toISOString()}' AND status = 'scheduled'`),
    ).toBe(0);
    expect(
      await count(
        'sessions',
        `status = 'no_show' AND (actual_start IS NOT NULL OR engagement_score IS NOT NULL)`,
      ),
    ).toBe(0);
  });

  it('stores COPPA fields: under-13s have a parent email and no email of their own', async () => {
    const under13 = `make_date(birth_year, birth_month, 1) > date '2025-06-01' - interval '13 years'`;
    expect(await count('students', under13)).toBeGreaterThan(0);
    expect(
      await count(
        'students',
        `${under13} AND (email IS NOT NULL OR parent_email IS NULL OR parent_consent_status NOT IN ('pending', 'granted'))`,
      ),
    ).toBe(0);
    expect(
      await count('students', `NOT (${under13}) AND parent_consent_status <> 'not_required'`),
    ).toBe(0);
    // Student emails are encrypted at rest: decrypt to check them.
    const emails: { email: string | null; parent_email: string | null }[] =
      await t.dataSource.query('SELECT email, parent_email FROM students');
    const plain = emails
      .flatMap((r) => [r.email, r.parent_email])
      .filter((e): e is string => e !== null);
    expect(plain.length).toBeGreaterThan(0);
    expect(plain.every((e) => /^enc1:/.test(e))).toBe(true);
    expect(
      plain.map((e) => cipher.decrypt(e)).filter((e) => !e.endsWith('@example.invalid')),
    ).toEqual([]);
    expect(await count('tutors', `email NOT LIKE '%@example.invalid'`)).toBe(0);
  });

  it('encrypts students’ personal data and feedback comments, with their keyed hashes', async () => {
    const students = await t.app
      .get(StudentsService)
      .findByParentEmail(expected.students.find((s) => s.parentEmail)!.parentEmail!);
    expect(students.length).toBeGreaterThan(0);
    const byId = new Map(expected.students.map((s) => [s.externalId, s]));
    // COPPA: a child whose parent has not consented is stored without a name.
    for (const s of students) {
      const generated = byId.get(s.externalId)!;
      expect(s.name).toBe(
        generated.parentConsentStatus === 'pending' ? WITHHELD_STUDENT_NAME : generated.name,
      );
    }
    const comments: { free_text: string; free_text_hash: string }[] = await t.dataSource.query(
      'SELECT free_text, free_text_hash FROM student_feedback WHERE free_text IS NOT NULL',
    );
    expect(comments.length).toBe(expected.feedback.filter((f) => f.freeText !== null).length);
    expect(comments.every((c) => /^enc1:dev1:/.test(c.free_text) && c.free_text_hash)).toBe(true);
    expect(new Set(comments.map((c) => cipher.decrypt(c.free_text)))).toEqual(
      new Set(expected.feedback.filter((f) => f.freeText !== null).map((f) => f.freeText)),
    );
    expect(await count('students', 'name_hash IS NULL')).toBe(0);
  });

  it('writes tutor events and no outbox events', async () => {
    expect(await count('tutor_events', `event_type = 'login'`)).toBeGreaterThan(0);
    expect(
      await count('tutor_events', `event_type = 'message_response' AND response_minutes > 0`),
    ).toBeGreaterThan(0);
    expect(await count('tutor_events', `occurred_at > '${END.toISOString()}'`)).toBe(0);
    expect(await count('outbox_events')).toBe(0);
  });

  it('is harmless to run again with the same options', async () => {
    const again = await new SyntheticDataService(t.dataSource, cipher).load({
      ...OPTIONS,
      nodeEnv: 'test',
    });
    expect(again.generated).toEqual(summary.generated);
    expect(again.inserted).toEqual({
      tutors: 0,
      students: 0,
      sessions: 0,
      feedback: 0,
      tutorEvents: 0,
    });
    expect(await count('sessions')).toBe(expected.sessions.length);
  });

  it('refuses to simulate in production', async () => {
    const service = new SyntheticDataService(t.dataSource, cipher);
    await expect(service.load({ ...OPTIONS, nodeEnv: 'production' })).rejects.toThrow(
      SimulationRefusedError,
    );
    await expect(service.load({ ...OPTIONS, nodeEnv: 'production' })).rejects.toThrow(
      'simulation is refused in production',
    );
    const config = t.app.get(AppConfig);
    config.NODE_ENV = 'production';
    try {
      await expect(loadDemoDataIfEmpty(t.app, { progress: false })).rejects.toThrow(
        'simulation is refused in production',
      );
    } finally {
      config.NODE_ENV = 'test';
    }
  });

  it('refuses an end date in the future', async () => {
    const tomorrow = new Date(Date.now() + 86_400_000);
    await expect(
      new SyntheticDataService(t.dataSource, cipher).load({
        ...OPTIONS,
        endDate: tomorrow,
        nodeEnv: 'test',
      }),
    ).rejects.toThrow(/endDate must not be after today/);
  });

  describe('demo data on first start', () => {
    it('does nothing when tutors already exist', async () => {
      const before = await count('sessions');
      await loadDemoDataIfEmpty(t.app, { tutors: 3, days: 2, progress: false });
      expect(await count('tutors')).toBe(20);
      expect(await count('sessions')).toBe(before);
    });

    it('loads a data set into an empty database once', async () => {
      const fresh = await startTestApp();
      try {
        const n = async (table: string) =>
          Number((await fresh.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n);
        await loadDemoDataIfEmpty(fresh.app, { tutors: 4, days: 3, progress: false });
        expect(await n('tutors')).toBe(4);
        const sessions = await n('sessions');
        expect(sessions).toBeGreaterThan(0);
        expect(await n('student_feedback')).toBeGreaterThan(0);
        await loadDemoDataIfEmpty(fresh.app, { tutors: 4, days: 3, progress: false });
        expect(await n('sessions')).toBe(sessions);
      } finally {
        await fresh.close();
      }
    });
  });
});

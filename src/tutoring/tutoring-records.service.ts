import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { DetailedHttpError } from '../common/error-body';
import { decodeCursor, Page, PageQuery, toPage } from '../common/pagination';
import { DisclosureLog } from '../compliance/disclosure-log.service';
import {
  AccessDecision,
  decideAccess,
  listScope,
  RecordKind,
  Viewer,
} from '../compliance/ferpa-policy';
import { StudentPrivacyService } from '../compliance/student-privacy.service';
import {
  FeedbackListQuery,
  SessionListQuery,
  StudentListQuery,
  TimeRangeQuery,
  TutorEventListQuery,
  TutorListQuery,
} from './dto/list-queries.dto';
import { Feedback } from './entities/feedback.entity';
import { Student } from './entities/student.entity';
import { TutorEvent } from './entities/tutor-event.entity';
import { Tutor } from './entities/tutor.entity';
import { TutoringSession } from './entities/tutoring-session.entity';

/** Exact (microsecond) text of a timestamp, so a cursor never skips or repeats rows. */
const exactTime = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`;

/** What a tutor sees of a feedback row: ratings and comment, no student name or id (FERPA). */
export type AnonymisedFeedback = Omit<Feedback, 'studentId' | 'sessionId' | 'externalId'>;

/** Who is reading, and the request path for the disclosure log. */
export interface RecordReader {
  viewer: Viewer;
  path?: string | null;
}

const WITHHELD = 'Withheld (directory opt-out)';

/**
 * Read side of the tutoring records: filtered, keyset-paginated lists.
 * Students' education records (students, sessions, feedback) go through the
 * FERPA policy (src/compliance/ferpa-policy.ts) on every read, and each
 * disclosure is written to the disclosure log.
 */
@Injectable()
export class TutoringRecordsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly disclosures: DisclosureLog,
    private readonly privacy: StudentPrivacyService,
  ) {}

  /** Whether tutor `tutorId` has had a session with the student. */
  private async taught(tutorId: string | null, studentId: string): Promise<boolean> {
    if (!tutorId) return false;
    const rows: unknown[] = await this.dataSource.query(
      'SELECT 1 FROM sessions WHERE tutor_id = $1 AND student_id = $2 LIMIT 1',
      [tutorId, studentId],
    );
    return rows.length > 0;
  }

  /** The FERPA decision for one student; refuses with the reason. */
  async authorize(
    reader: RecordReader,
    studentId: string,
  ): Promise<AccessDecision & { allowed: true }> {
    const v = reader.viewer;
    const tutorId = v.kind === 'user' && v.roles.includes('tutor') ? v.tutorId : null;
    const decision = decideAccess(reader.viewer, {
      studentId,
      taughtByViewer: await this.taught(tutorId, studentId),
    });
    if (!decision.allowed) throw new ForbiddenException(decision.reason);
    return decision;
  }

  /** Logs the disclosure of these students' records to the reader, per their basis. */
  private async disclose(
    reader: RecordReader,
    studentIds: string[],
    kind: RecordKind,
  ): Promise<void> {
    const v = reader.viewer;
    const own = v.kind === 'user' ? v.studentId : null;
    const others = studentIds.filter((id) => id !== own);
    if (!others.length) return;
    const scope = listScope(v);
    await this.disclosures.record({
      studentIds: others,
      viewer: v,
      recordKind: kind,
      basis: scope.all
        ? 'school_official'
        : v.kind === 'parent'
          ? 'parent_consent'
          : 'tutor_of_student',
      requestPath: reader.path,
    });
  }

  /** Restricts a query on a table with `student_id` (and `tutor_id`) to what the reader may list. */
  private scope<T extends ObjectLiteral>(
    qb: SelectQueryBuilder<T>,
    reader: RecordReader,
    studentColumn: string,
    tutorColumn: string | null,
  ): void {
    const scope = listScope(reader.viewer);
    if (scope.all) return;
    const clauses: string[] = [];
    if (scope.studentId) clauses.push(`${studentColumn} = :scopeStudent`);
    if (scope.tutorId) {
      clauses.push(
        tutorColumn
          ? `${tutorColumn} = :scopeTutor`
          : `EXISTS (SELECT 1 FROM sessions ss WHERE ss.student_id = ${studentColumn} AND ss.tutor_id = :scopeTutor)`,
      );
    }
    if (!clauses.length)
      throw new ForbiddenException('You have no basis to see students’ education records');
    qb.andWhere(`(${clauses.join(' OR ')})`, {
      scopeStudent: scope.studentId,
      scopeTutor: scope.tutorId,
    });
  }

  /** Tutors (not school officials) do not see directory information of students who opted out. */
  private async maskDirectory(reader: RecordReader, students: Student[]): Promise<void> {
    const scope = listScope(reader.viewer);
    if (scope.all) return;
    const own = reader.viewer.kind === 'user' ? reader.viewer.studentId : null;
    const hidden = await this.privacy.optedOut(
      students.map((s) => s.id).filter((id) => id !== own),
    );
    for (const s of students) {
      if (!hidden.has(s.id)) continue;
      s.name = WITHHELD;
      s.gradeLevel = null;
      s.subjectsInterested = [];
    }
  }

  private anonymiseFor(reader: RecordReader, rows: Feedback[]): (Feedback | AnonymisedFeedback)[] {
    const v = reader.viewer;
    if (listScope(v).all || v.kind !== 'user' || !v.roles.includes('tutor')) return rows;
    return rows.map((f) => (f.studentId === v.studentId ? f : anonymiseFeedback(f)));
  }

  listTutors(query: TutorListQuery): Promise<Page<Tutor>> {
    const qb = this.dataSource.getRepository(Tutor).createQueryBuilder('t');
    if (query.status) qb.andWhere('t.status = :status', { status: query.status });
    if (query.externalId)
      qb.andWhere('t.external_id = :externalId', { externalId: query.externalId });
    return byExternalId(qb, 't', query);
  }

  async listStudents(query: StudentListQuery, reader: RecordReader): Promise<Page<Student>> {
    const qb = this.dataSource.getRepository(Student).createQueryBuilder('s');
    this.scope(qb, reader, 's.id', null);
    if (query.externalId)
      qb.andWhere('s.external_id = :externalId', { externalId: query.externalId });
    const page = await byExternalId(qb, 's', query);
    await this.maskDirectory(reader, page.items);
    await this.disclose(
      reader,
      page.items.map((s) => s.id),
      query.externalId ? 'search' : 'student_record',
    );
    return page;
  }

  /**
   * With a `reader`, the FERPA scope applies and the disclosure is logged (every page and
   * route passes one); without, an internal read by code that logs nothing to a person.
   */
  async listSessions(
    query: SessionListQuery,
    reader?: RecordReader,
  ): Promise<Page<TutoringSession>> {
    const qb = this.dataSource.getRepository(TutoringSession).createQueryBuilder('x');
    if (reader) this.scope(qb, reader, 'x.student_id', 'x.tutor_id');
    if (query.tutorId) qb.andWhere('x.tutor_id = :tutorId', { tutorId: query.tutorId });
    if (query.studentId) qb.andWhere('x.student_id = :studentId', { studentId: query.studentId });
    if (query.status) qb.andWhere('x.status = :status', { status: query.status });
    if (query.externalId)
      qb.andWhere('x.external_id = :externalId', { externalId: query.externalId });
    const page = await newestFirst(qb, 'x', 'scheduled_start', query);
    if (reader)
      await this.disclose(
        reader,
        page.items.map((x) => x.studentId),
        'sessions',
      );
    return page;
  }

  async listFeedback(
    query: FeedbackListQuery,
    reader: RecordReader,
  ): Promise<Page<Feedback | AnonymisedFeedback>> {
    const qb = this.dataSource.getRepository(Feedback).createQueryBuilder('x');
    this.scope(qb, reader, 'x.student_id', 'x.tutor_id');
    if (query.tutorId) qb.andWhere('x.tutor_id = :tutorId', { tutorId: query.tutorId });
    if (query.sessionId) qb.andWhere('x.session_id = :sessionId', { sessionId: query.sessionId });
    const page = await newestFirst(qb, 'x', 'submitted_at', query);
    await this.disclose(
      reader,
      page.items.map((f) => f.studentId),
      'feedback',
    );
    return { items: this.anonymiseFor(reader, page.items), nextCursor: page.nextCursor };
  }

  listTutorEvents(query: TutorEventListQuery): Promise<Page<TutorEvent>> {
    const qb = this.dataSource.getRepository(TutorEvent).createQueryBuilder('x');
    if (query.tutorId) qb.andWhere('x.tutor_id = :tutorId', { tutorId: query.tutorId });
    if (query.eventType) qb.andWhere('x.event_type = :eventType', { eventType: query.eventType });
    return newestFirst(qb, 'x', 'occurred_at', query);
  }

  async getTutor(id: string): Promise<Tutor> {
    const tutor = await this.dataSource.getRepository(Tutor).findOneBy({ id });
    if (!tutor) throw new NotFoundException(`No tutor with id ${id}`);
    return tutor;
  }

  async getStudent(id: string, reader: RecordReader): Promise<Student> {
    const student = await this.dataSource.getRepository(Student).findOneBy({ id });
    if (!student) throw new NotFoundException(`No student with id ${id}`);
    await this.authorize(reader, id);
    await this.maskDirectory(reader, [student]);
    await this.disclose(reader, [id], 'student_record');
    return student;
  }

  async getSession(id: string, reader: RecordReader): Promise<TutoringSession> {
    const session = await this.dataSource.getRepository(TutoringSession).findOneBy({ id });
    if (!session) throw new NotFoundException(`No session with id ${id}`);
    await this.authorize(reader, session.studentId);
    await this.disclose(reader, [session.studentId], 'sessions');
    return session;
  }

  /**
   * One student's education record (record, latest 100 sessions, feedback),
   * for anyone the FERPA policy allows: the student, a school official, a
   * tutor who taught them (only their own sessions, feedback anonymised).
   */
  async educationRecord(
    studentId: string,
    reader: RecordReader,
  ): Promise<{
    student: Student;
    sessions: TutoringSession[];
    feedback: (Feedback | AnonymisedFeedback)[];
    basis: string;
  }> {
    const student = await this.dataSource.getRepository(Student).findOneBy({ id: studentId });
    if (!student) throw new NotFoundException(`No student with id ${studentId}`);
    const decision = await this.authorize(reader, studentId);
    await this.maskDirectory(reader, [student]);
    const tutorOnly =
      decision.basis === 'tutor_of_student' && reader.viewer.kind === 'user'
        ? reader.viewer.tutorId
        : null;
    const sessions = await this.dataSource.getRepository(TutoringSession).find({
      where: tutorOnly ? { studentId, tutorId: tutorOnly } : { studentId },
      order: { scheduledStart: 'DESC' },
      take: 100,
    });
    const feedback = await this.dataSource.getRepository(Feedback).find({
      where: tutorOnly ? { studentId, tutorId: tutorOnly } : { studentId },
      order: { submittedAt: 'DESC' },
      take: 100,
    });
    await this.disclose(reader, [studentId], 'student_record');
    return {
      // A tutor reads the record of a student they taught without the student's identity
      // (issue 9: tutors never see students' names, contact details or upstream ids).
      student: tutorOnly
        ? ({ id: student.id, gradeLevel: student.gradeLevel } as Student)
        : student,
      sessions,
      feedback: decision.anonymiseFeedback ? feedback.map(anonymiseFeedback) : feedback,
      basis: decision.basis,
    };
  }
}

function anonymiseFeedback(f: Feedback): AnonymisedFeedback {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { studentId, sessionId, externalId, ...rest } = f;
  return rest;
}

/** Ordered by externalId (unique), which is also the cursor. */
async function byExternalId<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  query: PageQuery,
): Promise<Page<T>> {
  const cursor = decodeCursor(query.cursor);
  if (cursor) qb.andWhere(`${alias}.external_id > :after`, { after: cursor.value });
  const rows = await qb
    .orderBy(`${alias}.external_id`, 'ASC')
    .take(query.limit + 1)
    .getMany();
  return toPage(rows, query.limit, (row) => ({
    value: row.externalId as string,
    id: row.id as string,
  }));
}

/** Newest first by a timestamp column, with `from` (inclusive) and `to` (exclusive) filters. */
async function newestFirst<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  column: string,
  query: TimeRangeQuery,
): Promise<Page<T>> {
  const col = `${alias}.${column}`;
  if (query.from && query.to && Date.parse(query.from) >= Date.parse(query.to)) {
    throw new DetailedHttpError(400, 'from must be earlier than to');
  }
  if (query.from) qb.andWhere(`${col} >= :from`, { from: query.from });
  if (query.to) qb.andWhere(`${col} < :to`, { to: query.to });
  const cursor = decodeCursor(query.cursor);
  if (cursor) {
    if (
      !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/.test(cursor.value) ||
      !/^[0-9a-f-]{36}$/.test(cursor.id)
    ) {
      throw new DetailedHttpError(
        400,
        'cursor is not valid; pass the nextCursor of a previous page',
      );
    }
    qb.andWhere(
      `(${col}, ${alias}.id) < ((:afterTime)::timestamp AT TIME ZONE 'UTC', (:afterId)::uuid)`,
      {
        afterTime: cursor.value,
        afterId: cursor.id,
      },
    );
  }
  qb.addSelect(exactTime(col), 'cursor_time')
    .orderBy(col, 'DESC')
    .addOrderBy(`${alias}.id`, 'DESC')
    .limit(query.limit + 1);
  const { entities, raw } = await qb.getRawAndEntities<{ cursor_time: string }>();
  const times = new Map(entities.map((e, i) => [e, raw[i].cursor_time]));
  return toPage(entities, query.limit, (row) => ({ value: times.get(row)!, id: row.id as string }));
}

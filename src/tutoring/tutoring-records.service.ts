import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { DetailedHttpError } from '../common/error-body';
import { decodeCursor, Page, PageQuery, toPage } from '../common/pagination';
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

/** Read side of the tutoring records: filtered, keyset-paginated lists. */
@Injectable()
export class TutoringRecordsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  listTutors(query: TutorListQuery): Promise<Page<Tutor>> {
    const qb = this.dataSource.getRepository(Tutor).createQueryBuilder('t');
    if (query.status) qb.andWhere('t.status = :status', { status: query.status });
    if (query.externalId)
      qb.andWhere('t.external_id = :externalId', { externalId: query.externalId });
    return byExternalId(qb, 't', query);
  }

  listStudents(query: StudentListQuery): Promise<Page<Student>> {
    const qb = this.dataSource.getRepository(Student).createQueryBuilder('s');
    if (query.externalId)
      qb.andWhere('s.external_id = :externalId', { externalId: query.externalId });
    return byExternalId(qb, 's', query);
  }

  listSessions(query: SessionListQuery): Promise<Page<TutoringSession>> {
    const qb = this.dataSource.getRepository(TutoringSession).createQueryBuilder('x');
    if (query.tutorId) qb.andWhere('x.tutor_id = :tutorId', { tutorId: query.tutorId });
    if (query.studentId) qb.andWhere('x.student_id = :studentId', { studentId: query.studentId });
    if (query.status) qb.andWhere('x.status = :status', { status: query.status });
    if (query.externalId)
      qb.andWhere('x.external_id = :externalId', { externalId: query.externalId });
    return newestFirst(qb, 'x', 'scheduled_start', query);
  }

  listFeedback(query: FeedbackListQuery): Promise<Page<Feedback>> {
    const qb = this.dataSource.getRepository(Feedback).createQueryBuilder('x');
    if (query.tutorId) qb.andWhere('x.tutor_id = :tutorId', { tutorId: query.tutorId });
    if (query.sessionId) qb.andWhere('x.session_id = :sessionId', { sessionId: query.sessionId });
    return newestFirst(qb, 'x', 'submitted_at', query);
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

  async getStudent(id: string): Promise<Student> {
    const student = await this.dataSource.getRepository(Student).findOneBy({ id });
    if (!student) throw new NotFoundException(`No student with id ${id}`);
    return student;
  }

  async getSession(id: string): Promise<TutoringSession> {
    const session = await this.dataSource.getRepository(TutoringSession).findOneBy({ id });
    if (!session) throw new NotFoundException(`No session with id ${id}`);
    return session;
  }
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

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { DetailedHttpError } from '../common/error-body';
import { decodeCursor, encodeCursor, Page } from '../common/pagination';
import { TutorManagerNote } from './entities/tutor-manager-note.entity';

export interface ManagerNoteView {
  id: string;
  tutorId: string;
  body: string;
  authorId: string | null;
  authorName: string | null;
  createdAt: string;
}

/** Managers' notes about a tutor: staff only, newest first, the body encrypted at rest. */
@Injectable()
export class TutorManagerNotes {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  private async assertTutor(tutorId: string): Promise<void> {
    const rows: unknown[] = await this.dataSource.query('SELECT 1 FROM tutors WHERE id = $1', [
      tutorId,
    ]);
    if (!rows.length) throw new DetailedHttpError(404, `no tutor with id ${tutorId}`);
  }

  /**
   * A page of the tutor's notes, newest first; 404 for an unknown tutor
   * (asked only when there is no note, or never when the caller has just read
   * the tutor: `tutorKnown`).
   */
  async list(
    tutorId: string,
    page: { limit: number; cursor?: string },
    options: { tutorKnown?: boolean } = {},
  ): Promise<Page<ManagerNoteView>> {
    const cursor = decodeCursor(page.cursor);
    const qb = this.dataSource
      .getRepository(TutorManagerNote)
      .createQueryBuilder('n')
      .leftJoin('n.author', 'u')
      .addSelect(['u.id', 'u.fullName'])
      .where('n.tutorId = :tutorId', { tutorId })
      .orderBy('n.createdAt', 'DESC')
      .addOrderBy('n.id', 'DESC')
      // limit, not take: the author join is many-to-one, so one row per note and one statement.
      .limit(page.limit + 1);
    if (cursor) {
      const at = new Date(cursor.value);
      if (Number.isNaN(at.getTime()) || !/^[0-9a-f-]{36}$/i.test(cursor.id))
        throw new DetailedHttpError(
          400,
          'cursor is not valid; pass the nextCursor of a previous page',
        );
      qb.andWhere('(n.createdAt, n.id) < (:at, :id)', { at, id: cursor.id });
    }
    const rows = await qb.getMany();
    if (!rows.length && !options.tutorKnown) await this.assertTutor(tutorId);
    const more = rows.length > page.limit;
    const items = more ? rows.slice(0, page.limit) : rows;
    const last = items[items.length - 1];
    return {
      items: items.map((n) => this.view(n, n.author?.fullName ?? null)),
      nextCursor:
        more && last ? encodeCursor({ value: last.createdAt.toISOString(), id: last.id }) : null,
    };
  }

  async add(tutorId: string, body: string, authorUserId: string | null): Promise<ManagerNoteView> {
    const text = body.trim();
    if (!text) throw new DetailedHttpError(400, 'body must not be empty');
    if (text.length > 5000)
      throw new DetailedHttpError(400, 'body must be at most 5,000 characters');
    await this.assertTutor(tutorId);
    const note = await this.dataSource.getRepository(TutorManagerNote).save({
      tutorId,
      authorUserId,
      body: text,
      createdAt: this.clock.now(),
    });
    const [author]: { full_name: string }[] = authorUserId
      ? await this.dataSource.query('SELECT full_name FROM users WHERE id = $1', [authorUserId])
      : [];
    return this.view(note, author?.full_name ?? null);
  }

  private view(n: TutorManagerNote, authorName: string | null): ManagerNoteView {
    return {
      id: n.id,
      tutorId: n.tutorId,
      body: n.body,
      authorId: n.authorUserId,
      authorName,
      createdAt: n.createdAt.toISOString(),
    };
  }
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { decodeCursor, Page, PageQuery, toPage } from '../common/pagination';
import { FerpaDisclosure } from './entities/ferpa-disclosure.entity';
import type { AccessBasis, RecordKind, Viewer } from './ferpa-policy';

export interface DisclosureInput {
  studentIds: readonly string[];
  viewer: Viewer;
  recordKind: RecordKind;
  basis: AccessBasis;
  requestPath?: string | null;
}

export interface DisclosureRow {
  id: string;
  studentId: string;
  recipientUserId: string | null;
  recipient: string;
  recordKind: string;
  basis: string;
  requestPath: string | null;
  disclosedAt: Date;
}

const recipientOf = (viewer: Viewer): { userId: string | null; label: string } =>
  viewer.kind === 'user'
    ? { userId: viewer.userId, label: `user:${[...viewer.roles].sort().join(',')}` }
    : viewer.kind === 'api-key'
      ? { userId: null, label: `api-key:${viewer.keyId}` }
      : { userId: null, label: 'parent' };

/** The append-only FERPA disclosure log: one row per student per disclosure. */
@Injectable()
export class DisclosureLog {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async record(input: DisclosureInput, manager?: EntityManager): Promise<number> {
    const ids = [...new Set(input.studentIds)];
    if (!ids.length) return 0;
    const { userId, label } = recipientOf(input.viewer);
    await (manager ?? this.dataSource.manager).query(
      `INSERT INTO ferpa_disclosures (student_id, recipient_user_id, recipient, record_kind, basis, request_path, disclosed_at)
       SELECT unnest($1::uuid[]), $2, $3, $4, $5, $6, $7`,
      [
        ids,
        userId,
        label.slice(0, 120),
        input.recordKind,
        input.basis,
        input.requestPath?.slice(0, 200) ?? null,
        this.clock.now(),
      ],
    );
    return ids.length;
  }

  /** The per-student disclosure report, newest first. */
  async report(studentId: string, query: PageQuery): Promise<Page<DisclosureRow>> {
    const qb = this.dataSource
      .getRepository(FerpaDisclosure)
      .createQueryBuilder('d')
      .where('d.student_id = :studentId', { studentId })
      .orderBy('d.disclosed_at', 'DESC')
      .addOrderBy('d.id', 'DESC')
      .take(query.limit + 1);
    const cursor = decodeCursor(query.cursor);
    if (cursor) {
      qb.andWhere('(d.disclosed_at, d.id) < (:t::timestamptz, :i::uuid)', {
        t: cursor.value,
        i: cursor.id,
      });
    }
    const rows = await qb.getMany();
    return toPage(rows, query.limit, (r) => ({ value: r.disclosedAt.toISOString(), id: r.id }));
  }
}

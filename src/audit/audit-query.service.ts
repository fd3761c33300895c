import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { DetailedHttpError } from '../common/error-body';
import { decodeCursor, encodeCursor, Page } from '../common/pagination';
import { FieldCipher } from '../security/field-cipher';
import { AUDIT_ACTIONS } from './audit-actions';
import type { AuditActorType, AuditOutcome } from './audit-actions';
import { csvLine } from './audit-csv';
import { canonicalTimeSql } from './audit-hash';
import { AuditRequestContext } from './audit-request';
import { AuditService } from './audit.service';
import {
  AuditExportQuery,
  AuditFilters,
  AuditListQuery,
  AuditRecordView,
  ExportFormat,
} from './dto/audit-query.dto';

/** Rows per query while exporting: memory stays flat however large the log. */
const EXPORT_BATCH = 500;

/** Selects seq as text: order by `audit_log.seq`, never the text alias. */
const COLUMNS = `seq::text AS seq, ${canonicalTimeSql('occurred_at')} AS occurred_at, actor_type,
  actor_id, action, resource_type, resource_id, request_id, outcome, changed_fields, details,
  prev_hash, hash, ip_enc, user_agent_enc`;

const CSV_HEADER = [
  'seq',
  'occurredAt',
  'actorType',
  'actorId',
  'action',
  'resourceType',
  'resourceId',
  'requestId',
  'outcome',
  'changedFields',
  'details',
  'ip',
  'userAgent',
  'prevHash',
  'hash',
] as const satisfies readonly (keyof AuditRecordView)[];

interface AuditRow {
  seq: string;
  occurred_at: string;
  actor_type: AuditActorType;
  actor_id: string | null;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  request_id: string | null;
  outcome: AuditOutcome;
  changed_fields: string[];
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
  ip_enc: string | null;
  user_agent_enc: string | null;
}

/**
 * The read side of the audit log for admins: filtered keyset pages (newest
 * first) and streamed CSV/JSON exports (oldest first). The only place IP and
 * user agent are decrypted.
 */
@Injectable()
export class AuditQueryService {
  private readonly logger = new Logger('Audit');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: FieldCipher,
    private readonly audit: AuditService,
  ) {}

  async list(query: AuditListQuery): Promise<Page<AuditRecordView>> {
    const params: unknown[] = [];
    const where = filterClauses(query, params);
    const cursor = decodeCursor(query.cursor);
    if (cursor) {
      if (!/^\d{1,19}$/.test(cursor.value)) {
        throw new DetailedHttpError(
          400,
          'cursor is not valid; pass the nextCursor of a previous page',
        );
      }
      params.push(cursor.value);
      where.push(`seq < $${params.length}`);
    }
    params.push(query.limit + 1);
    const rows = (await this.dataSource.query(
      `SELECT ${COLUMNS} FROM audit_log ${whereSql(where)} ORDER BY audit_log.seq DESC LIMIT $${params.length}`,
      params,
    )) as AuditRow[];
    const hasMore = rows.length > query.limit;
    const items = (hasMore ? rows.slice(0, query.limit) : rows).map((r) => this.view(r));
    const last = items[items.length - 1];
    return {
      items,
      nextCursor: hasMore ? encodeCursor({ value: last.seq, id: last.seq }) : null,
    };
  }

  /**
   * Streams every matching row, oldest first, as CSV or a JSON array: batched
   * keyset reads up to the head as it was when the export started, each batch
   * written as it arrives and waiting for the client to drain. The export
   * itself is recorded (`audit.exported`) first.
   */
  async export(
    query: AuditExportQuery,
    context: AuditRequestContext,
    res: Response,
  ): Promise<void> {
    const { format, ...filters } = query;
    const params: unknown[] = [];
    const where = filterClauses(filters, params);
    await this.audit.record({
      ...context,
      action: AUDIT_ACTIONS.auditExported,
      outcome: 'success',
      resourceType: 'audit_log',
      details: {
        format,
        filters: Object.keys(filters)
          .filter((k) => filters[k as keyof AuditFilters] !== undefined)
          .sort(),
      },
    });
    const [{ head }] = (await this.dataSource.query(
      'SELECT max(seq)::text AS head FROM audit_log',
    )) as { head: string | null }[];

    res.status(200);
    res.setHeader(
      'Content-Type',
      format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
    );
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="audit-log-${new Date().toISOString().replace(/[:.]/g, '-')}.${format}"`,
    );
    res.setHeader('Cache-Control', 'no-store');

    const writer = new StreamWriter(res);
    try {
      await writer.write(format === 'csv' ? csvLine(CSV_HEADER) : '[');
      let after = '0';
      let first = true;
      while (head !== null && !writer.closed) {
        const batchParams = [...params, after, head, EXPORT_BATCH];
        const n = params.length;
        const rows = (await this.dataSource.query(
          `SELECT ${COLUMNS} FROM audit_log
            ${whereSql([...where, `seq > $${n + 1}`, `seq <= $${n + 2}`])}
            ORDER BY audit_log.seq LIMIT $${n + 3}`,
          batchParams,
        )) as AuditRow[];
        if (!rows.length) break;
        let chunk = '';
        for (const row of rows) {
          chunk += serialise(this.view(row), format, first);
          first = false;
        }
        await writer.write(chunk);
        after = rows[rows.length - 1].seq;
        if (rows.length < EXPORT_BATCH) break;
      }
      if (format === 'json') await writer.write(first ? ']\n' : '\n]\n');
      res.end();
    } catch (error) {
      // Headers are gone: the only honest signal left is a cut connection.
      this.logger.error(
        `audit export failed mid-stream: ${error instanceof Error ? error.message : String(error)}`,
      );
      res.destroy(error instanceof Error ? error : undefined);
    }
  }

  private view(row: AuditRow): AuditRecordView {
    return {
      seq: row.seq,
      occurredAt: row.occurred_at,
      actorType: row.actor_type,
      actorId: row.actor_id,
      action: row.action,
      resourceType: row.resource_type,
      resourceId: row.resource_id,
      requestId: row.request_id,
      outcome: row.outcome,
      changedFields: row.changed_fields,
      details: row.details,
      ip: this.reveal(row.ip_enc),
      userAgent: this.reveal(row.user_agent_enc),
      prevHash: row.prev_hash,
      hash: row.hash,
    };
  }

  /** A value sealed with a key no longer configured shows as null rather than failing the page. */
  private reveal(value: string | null): string | null {
    try {
      return this.cipher.decryptNullable(value);
    } catch {
      return null;
    }
  }
}

function serialise(view: AuditRecordView, format: ExportFormat, first: boolean): string {
  if (format === 'json') return `${first ? '\n' : ',\n'}${JSON.stringify(view)}`;
  return csvLine(
    CSV_HEADER.map((column) =>
      column === 'changedFields' ? view.changedFields.join(';') : view[column],
    ),
  );
}

/** SQL conditions for the filters, numbering parameters after those already in `params`. */
export function filterClauses(filters: AuditFilters, params: unknown[]): string[] {
  const from = filters.from && utcInstant(filters.from);
  const to = filters.to && utcInstant(filters.to);
  if (from && to && Date.parse(from) >= Date.parse(to)) {
    throw new DetailedHttpError(400, 'from must be earlier than to');
  }
  const where: string[] = [];
  const add = (sql: (param: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (filters.actorType) add((p) => `actor_type = ${p}`, filters.actorType);
  if (filters.actorId) add((p) => `actor_id = ${p}`, filters.actorId);
  if (filters.action?.endsWith('.*')) {
    add((p) => `action LIKE ${p}`, `${filters.action.slice(0, -2).replace(/_/g, '\\_')}.%`);
  } else if (filters.action) {
    add((p) => `action = ${p}`, filters.action);
  }
  if (filters.resourceType) add((p) => `resource_type = ${p}`, filters.resourceType);
  if (filters.resourceId) add((p) => `resource_id = ${p}`, filters.resourceId);
  if (filters.outcome) add((p) => `outcome = ${p}`, filters.outcome);
  if (filters.requestId) add((p) => `request_id = ${p}`, filters.requestId);
  if (from) add((p) => `occurred_at >= ${p}::timestamptz`, from);
  if (to) add((p) => `occurred_at < ${p}::timestamptz`, to);
  return where;
}

/** An ISO 8601 date or date-time; without a zone it means UTC (never the server's zone). */
export function utcInstant(value: string): string {
  const instant =
    /(Z|[+-]\d{2}(:?\d{2})?)$/i.test(value) && value.includes('T')
      ? value
      : /^\d{4}-\d{2}-\d{2}$/.test(value)
        ? `${value}T00:00:00Z`
        : `${value}Z`;
  if (Number.isNaN(Date.parse(instant))) {
    throw new DetailedHttpError(400, `${value} is not a date-time this filter understands`);
  }
  return instant;
}

const whereSql = (where: string[]) => (where.length ? `WHERE ${where.join(' AND ')}` : '');

/** res.write with backpressure; stops quietly when the client goes away. */
class StreamWriter {
  closed = false;

  constructor(private readonly res: Response) {
    res.once('close', () => (this.closed = true));
  }

  async write(chunk: string): Promise<void> {
    if (this.closed || this.res.destroyed) {
      this.closed = true;
      return;
    }
    if (this.res.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }
}

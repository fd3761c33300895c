import { Injectable } from '@nestjs/common';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config';

export interface LedgerLine {
  seq: string;
  requestId: string | null;
  /** Null for a child erased at a parent's request (children have no account). */
  subjectUserId: string | null;
  tutorId: string | null;
  studentId: string | null;
  erasedAt: string;
}

/** Appends one line to the JSONL ledger (fsync'd by appendFileSync's close). */
export function appendLedgerFile(file: string, line: LedgerLine): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(line)}\n`, { encoding: 'utf8', flag: 'a' });
}

/**
 * The erasure ledger: a row in `erasure_ledger` (append-only trigger) in the
 * erasure's transaction, then a line in the JSONL file at
 * ERASURE_LEDGER_PATH once committed. A restore from backup loses database
 * rows newer than the backup but not the file; erasure-replay re-applies it.
 */
@Injectable()
export class ErasureLedger {
  constructor(private readonly config: AppConfig) {}

  get file(): string {
    return this.config.erasureLedgerFile;
  }

  async insert(
    manager: EntityManager,
    entry: Omit<LedgerLine, 'seq' | 'erasedAt'> & { erasedAt: Date },
  ): Promise<LedgerLine> {
    const [row]: { seq: string }[] = await manager.query(
      `INSERT INTO erasure_ledger (request_id, subject_user_id, tutor_id, student_id, erased_at)
       VALUES ($1, $2, $3, $4, $5) RETURNING seq`,
      [entry.requestId, entry.subjectUserId, entry.tutorId, entry.studentId, entry.erasedAt],
    );
    return { ...entry, seq: String(row.seq), erasedAt: entry.erasedAt.toISOString() };
  }

  append(line: LedgerLine): void {
    appendLedgerFile(this.file, line);
  }
}

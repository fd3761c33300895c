import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** The person whose data is exported or erased; any of the ids may be absent. */
export interface DataSubject {
  userId: string | null;
  tutorId: string | null;
  studentId: string | null;
}

/** Rows of one table about the subject, as plain JSON values. */
export type ExportedTable = Record<string, unknown>[];

/**
 * What a module registers for its tables: `export` returns everything it holds
 * about the subject (decrypted, by table name), `erase` anonymises it inside
 * the erasure's transaction (aggregates kept) and returns rows touched per table.
 */
export interface PersonalDataHandler {
  /** Owning module and what it covers, e.g. `tutoring`. */
  name: string;
  export(subject: DataSubject, manager: EntityManager): Promise<Record<string, ExportedTable>>;
  /**
   * `identifiers` are the subject's names, emails and upstream ids as read
   * before any handler ran (for handlers that must find them in stored text,
   * e.g. the compressed archive).
   */
  erase(
    subject: DataSubject,
    manager: EntityManager,
    identifiers?: readonly string[],
  ): Promise<Record<string, number>>;
  /** Objection to processing for profiling (GDPR Art. 21): stop it and delete its results. */
  objectToProfiling?(subject: DataSubject, manager: EntityManager): Promise<Record<string, number>>;
}

/**
 * Compliance reaches every table through the handlers modules register here
 * (at onModuleInit), without importing those modules.
 */
@Injectable()
export class PersonalDataRegistry {
  private readonly handlers = new Map<string, PersonalDataHandler>();

  register(handler: PersonalDataHandler): void {
    if (this.handlers.has(handler.name))
      throw new Error(`personal-data handler ${handler.name} registered twice`);
    this.handlers.set(handler.name, handler);
  }

  all(): PersonalDataHandler[] {
    return [...this.handlers.values()];
  }
}

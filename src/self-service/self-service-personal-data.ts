import { Injectable, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  DataSubject,
  ExportedTable,
  PersonalDataHandler,
  PersonalDataRegistry,
} from '../compliance/personal-data-registry';

const TABLES = ['tutor_goals', 'tutor_training_progress', 'tutor_acknowledgements'] as const;

/**
 * The self-service tables in GDPR export and erasure: a tutor's goals,
 * training progress and acknowledgements. Nothing aggregates them, so erasure
 * deletes them.
 */
export const selfServicePersonalData: PersonalDataHandler = {
  name: 'self-service',
  async export(subject: DataSubject, m: EntityManager) {
    const out: Record<string, ExportedTable> = {};
    if (!subject.tutorId) return out;
    for (const table of TABLES)
      out[table] = (await m.query(`SELECT * FROM ${table} WHERE tutor_id = $1`, [
        subject.tutorId,
      ])) as ExportedTable;
    return out;
  },
  async erase(subject: DataSubject, m: EntityManager) {
    const out: Record<string, number> = {};
    if (!subject.tutorId) return out;
    for (const table of TABLES) {
      const [, n] = (await m.query(`DELETE FROM ${table} WHERE tutor_id = $1`, [
        subject.tutorId,
      ])) as [unknown, number];
      out[table] = n;
    }
    return out;
  },
};

/** Registers the handler with compliance at start-up. */
@Injectable()
export class SelfServicePersonalDataRegistration implements OnModuleInit {
  constructor(private readonly registry: PersonalDataRegistry) {}

  onModuleInit(): void {
    this.registry.register(selfServicePersonalData);
  }
}

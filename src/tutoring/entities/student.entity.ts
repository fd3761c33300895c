import {
  BeforeInsert,
  BeforeUpdate,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { encrypted, registeredFieldCipher } from '../../database/encrypted-column';
import { emailBlindIndexNullable } from '../../security/keyed-hash';
import { studentNameHash } from '../personal-data';
import type { ParentConsentStatus } from '../tutoring.constants';

/**
 * A student. Age is computed from birth year and month so it never drifts
 * across the COPPA threshold of 13.
 *
 * Name, email and parent email are encrypted at rest (see ../personal-data.ts):
 * the entity holds plaintext, the row `enc1:…`. Find students by email with
 * StudentsService (blind indexes), never with a `where` on the encrypted
 * properties. The hash columns are never selected, so they never leave the API;
 * saving an entity instance (`repository.create` then `save`) keeps them
 * current through the listener below, and raw SQL writers compute them with
 * sealStudent().
 */
@Entity('students')
export class Student {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('uq_students_external_id', { unique: true })
  @Column({ type: 'varchar', length: 100 })
  externalId: string;

  @Column({ type: 'text', transformer: encrypted })
  name: string;

  /** Keyed hash of the name, so a bulk upsert sees an unchanged name. Null only on rows from before encryption. */
  @Column({ type: 'varchar', length: 64, nullable: true, select: false })
  nameHash?: string | null;

  @Column({ type: 'smallint' })
  birthYear: number;

  @Column({ type: 'smallint' })
  birthMonth: number;

  @Column({ type: 'varchar', length: 50, nullable: true })
  gradeLevel: string | null;

  /** Only for students of 13 and over. */
  @Column({ type: 'text', nullable: true, transformer: encrypted })
  email: string | null;

  /** Blind index of the email (lookup by email). */
  @Index('idx_students_email_index')
  @Column({ type: 'varchar', length: 64, nullable: true, select: false })
  emailIndex?: string | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  subjectsInterested: string[];

  @Column({ type: 'text', nullable: true, transformer: encrypted })
  parentEmail: string | null;

  /** Blind index of the parent email (COPPA: parents are found by email). */
  @Index('idx_students_parent_email_index')
  @Column({ type: 'varchar', length: 64, nullable: true, select: false })
  parentEmailIndex?: string | null;

  @Column({ type: 'varchar', length: 20, default: 'not_required' })
  parentConsentStatus: ParentConsentStatus;

  @Column({ type: 'timestamptz', nullable: true })
  parentConsentAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  @BeforeInsert()
  @BeforeUpdate()
  protected hashPersonalData(): void {
    const cipher = registeredFieldCipher();
    if (this.name !== undefined) this.nameHash = studentNameHash(cipher, this.name);
    if (this.email !== undefined) this.emailIndex = emailBlindIndexNullable(cipher, this.email);
    if (this.parentEmail !== undefined)
      this.parentEmailIndex = emailBlindIndexNullable(cipher, this.parentEmail);
  }
}

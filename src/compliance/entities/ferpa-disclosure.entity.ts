import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * FERPA disclosure log (append-only, enforced by a trigger): who received
 * which part of a student's education record, on what basis, when. No
 * personal values: ids, a recipient label (role or API key id) and codes.
 */
@Entity('ferpa_disclosures')
@Index('idx_ferpa_disclosures_student', ['studentId', 'disclosedAt'])
export class FerpaDisclosure {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  studentId: string;

  /** users.id of the recipient; null for an API key or a parent. */
  @Column({ type: 'uuid', nullable: true })
  recipientUserId: string | null;

  /** `user:<role,…>`, `api-key:<key id>` or `parent`. */
  @Column({ type: 'varchar', length: 120 })
  recipient: string;

  @Column({ type: 'varchar', length: 40 })
  recordKind: string;

  @Column({ type: 'varchar', length: 40 })
  basis: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  requestPath: string | null;

  @Column({ type: 'timestamptz' })
  disclosedAt: Date;
}

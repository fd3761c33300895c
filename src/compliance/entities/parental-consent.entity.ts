import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * COPPA: verifiable parental consent for a child under 13, as evidence. The
 * method is how the parent was verified; the IP is encrypted; the evidence
 * reference names what the parent submitted (the signed consent form).
 */
@Entity('parental_consents')
@Index('idx_parental_consents_student', ['studentId', 'createdAt'])
export class ParentalConsent {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  studentId: string;

  /** granted, then possibly revoked. */
  @Column({ type: 'varchar', length: 20 })
  status: 'granted' | 'revoked';

  /** e.g. `email-link-signed-form`: a single-use link to the parent's email plus a signed form. */
  @Column({ type: 'varchar', length: 60 })
  method: string;

  @Column({ type: 'timestamptz' })
  grantedAt: Date;

  /** FieldCipher-encrypted IP of the consenting request. */
  @Column({ type: 'text', nullable: true })
  ipEnc: string | null;

  /** What proves it: `signed-form:<sha256 of the typed signature and statement>`. */
  @Column({ type: 'varchar', length: 200 })
  evidenceRef: string;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}

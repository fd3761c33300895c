import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A legal hold on one person: no erasure, anonymisation or retention action while it is active. */
@Entity('legal_holds')
@Index('idx_legal_holds_user', ['subjectUserId'])
export class LegalHold {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid', nullable: true })
  subjectUserId: string | null;

  @Column({ type: 'uuid', nullable: true })
  tutorId: string | null;

  @Column({ type: 'uuid', nullable: true })
  studentId: string | null;

  @Column({ type: 'varchar', length: 500 })
  reason: string;

  @Column({ type: 'uuid', nullable: true })
  placedByUserId: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  releasedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}

import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../../auth/entities/user.entity';
import { encrypted } from '../../database/encrypted-column';
import type { EncryptedColumnSpec } from '../../security/encryption-rotation';
import { Tutor } from '../../tutoring/entities/tutor.entity';

/**
 * Managers' notes about a tutor (not about one intervention): the thread on
 * the manager's tutor page. Staff only, never shown to the tutor; the body is
 * encrypted at rest.
 */
@Entity('tutor_manager_notes')
@Index('idx_tutor_manager_notes_tutor', ['tutorId', 'createdAt'])
export class TutorManagerNote {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  tutorId: string;

  @ManyToOne(() => Tutor, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tutor_id', foreignKeyConstraintName: 'fk_tutor_manager_notes_tutor' })
  tutor?: Tutor;

  @Column({ type: 'uuid', nullable: true })
  authorUserId: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({
    name: 'author_user_id',
    foreignKeyConstraintName: 'fk_tutor_manager_notes_author',
  })
  author?: User | null;

  @Column({ type: 'text', transformer: encrypted })
  body: string;

  @Column({ type: 'timestamptz' })
  createdAt: Date;
}

/** What `npm run encryption:rotate` walks for manager notes. */
export const MANAGER_NOTE_ENCRYPTED_COLUMNS: EncryptedColumnSpec[] = [
  { table: 'tutor_manager_notes', column: 'body' },
];

import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from '../../auth/entities/user.entity';

/** A notification in a staff member's list; unread until read_at is set. */
@Entity('in_app_notifications')
@Index('idx_in_app_notifications_user_created', ['userId', 'createdAt'])
@Index('idx_in_app_notifications_unread', ['userId'], { where: 'read_at IS NULL' })
export class InAppNotification {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_in_app_notifications_user' })
  user?: User;

  /** The email sent for the same event, when there is one. */
  @Column({ type: 'uuid', nullable: true })
  messageId: string | null;

  @Column({ type: 'varchar', length: 300 })
  title: string;

  @Column({ type: 'text' })
  body: string;

  /** An app path (`/interventions/…`), never an external URL. */
  @Column({ type: 'varchar', length: 500, nullable: true })
  url: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  readAt: Date | null;
}

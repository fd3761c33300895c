import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { User } from './user.entity';

export type SsoProvider = 'google' | 'microsoft';

/** A user's account at an SSO provider; later sign-ins match on (provider, subject), never email. */
@Entity('user_identities')
@Index('uq_user_identities_subject', ['provider', 'subject'], { unique: true })
@Index('idx_user_identities_user', ['userId'])
export class UserIdentity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_user_identities_user' })
  user?: User;

  @Column({ type: 'varchar', length: 20 })
  provider: SsoProvider;

  @Column({ type: 'varchar', length: 255 })
  subject: string;

  /** The verified email at the time of linking. */
  @Column({ type: 'varchar', length: 320 })
  email: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}

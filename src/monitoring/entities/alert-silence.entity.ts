import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Holds back notifications of the matching rules until `expiresAt` (or until
 * ended by hand). `rule` is a rule name, or a prefix ending in `*`
 * (`uptime:*`). Rules still fire and resolve on the alerts page meanwhile.
 */
@Entity('alert_silences')
@Index('idx_alert_silences_expires', ['expiresAt'])
export class AlertSilence {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 60 })
  rule: string;

  @Column({ type: 'text' })
  reason: string;

  @Column({ type: 'uuid', nullable: true })
  createdByUserId: string | null;

  @Column({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  /** Set when someone ended it before it expired. */
  @Column({ type: 'timestamptz', nullable: true })
  endedAt: Date | null;
}

import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A rule fired or resolved (the alerts page's history). Kept 90 days. */
@Entity('alert_events')
@Index('idx_alert_events_at', ['at'])
export class AlertEvent {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'varchar', length: 60 })
  rule: string;

  @Column({ type: 'text' })
  title: string;

  /** firing or resolved. */
  @Column({ type: 'varchar', length: 10 })
  status: 'firing' | 'resolved';

  @Column({ type: 'varchar', length: 10 })
  severity: string;

  @Column({ type: 'text' })
  message: string;

  @Column({ type: 'double precision', nullable: true })
  value: number | null;

  @Column({ type: 'timestamptz' })
  at: Date;

  /** False when a silence held the notification back. */
  @Column({ type: 'boolean' })
  notified: boolean;
}

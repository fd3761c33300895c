import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The state of one alert rule, shared by every process: a notification goes
 * out only when a rule changes state (fires or resolves), so restarts and
 * replicas never repeat one.
 */
@Entity('alert_states')
export class AlertState {
  @PrimaryColumn({ type: 'varchar', length: 60 })
  rule: string;

  /** firing or ok. */
  @Column({ type: 'varchar', length: 10 })
  status: 'firing' | 'ok';

  @Column({ type: 'varchar', length: 10 })
  severity: string;

  @Column({ type: 'text' })
  message: string;

  @Column({ type: 'double precision', nullable: true })
  value: number | null;

  @Column({ type: 'timestamptz', nullable: true })
  firedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  resolvedAt: Date | null;

  @Column({ type: 'timestamptz' })
  evaluatedAt: Date;

  /** The last status a notification went out for (differs from status while silenced). */
  @Column({ type: 'varchar', length: 10, default: 'ok' })
  notifiedStatus: 'firing' | 'ok';
}

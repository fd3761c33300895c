import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One uptime check of one service (every minute, from the worker). Kept 30 days. */
@Entity('service_checks')
@Index('idx_service_checks_service_time', ['service', 'checkedAt'])
@Index('idx_service_checks_time', ['checkedAt'])
export class ServiceCheck {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  /** postgresql, redis, queues, smtp or public_url. */
  @Column({ type: 'varchar', length: 40 })
  service: string;

  @Column({ type: 'timestamptz' })
  checkedAt: Date;

  @Column({ type: 'boolean' })
  up: boolean;

  @Column({ type: 'int', nullable: true })
  latencyMs: number | null;

  /** Why it was down (never a secret: URLs are shown without credentials). */
  @Column({ type: 'text', nullable: true })
  detail: string | null;
}

import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * API response times as histogram counts per minute, summed over every web
 * process (each adds its own counts), so the p95/p99 alert sees the whole
 * system. Kept 2 days.
 */
@Entity('api_latency_buckets')
export class ApiLatencyBucket {
  @PrimaryColumn({ type: 'timestamptz' })
  minute: Date;

  /** Upper bound of the bucket in ms (2147483647: above the largest bound). */
  @PrimaryColumn({ type: 'int' })
  leMs: number;

  @Column({ type: 'bigint' })
  count: string;
}

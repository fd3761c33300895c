import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A service was down from `startedAt` until `endedAt` (null while it still is). */
@Entity('service_incidents')
@Index('uq_service_incidents_open', ['service'], { unique: true, where: 'ended_at IS NULL' })
@Index('idx_service_incidents_started', ['startedAt'])
export class ServiceIncident {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 40 })
  service: string;

  @Column({ type: 'timestamptz' })
  startedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  endedAt: Date | null;

  /** The first failed check's detail. */
  @Column({ type: 'text', nullable: true })
  cause: string | null;
}

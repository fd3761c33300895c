import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Intervention } from './intervention.entity';

/** One SLA notice sent: at most once per (intervention, target, stage). */
@Entity('intervention_sla_notices')
export class InterventionSlaNotice {
  @PrimaryColumn({ type: 'uuid' })
  interventionId: string;

  @ManyToOne(() => Intervention, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'intervention_id',
    foreignKeyConstraintName: 'fk_intervention_sla_notices_intervention',
  })
  intervention?: Intervention;

  /** first_action or resolution. */
  @PrimaryColumn({ type: 'varchar', length: 20 })
  target: string;

  /** at_risk, breached, escalated or escalated_again. */
  @PrimaryColumn({ type: 'varchar', length: 20 })
  stage: string;

  /** How many people it went to. */
  @Column({ type: 'int' })
  recipients: number;

  @Column({ type: 'timestamptz' })
  sentAt: Date;
}

import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const CONSENT_PURPOSES = ['analytics', 'marketing', 'profiling'] as const;
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];

/** A user's consent per purpose (GDPR Art. 7): granted or withdrawn, latest wins. */
@Entity('privacy_consents')
export class PrivacyConsent {
  @PrimaryColumn({ type: 'uuid' })
  userId: string;

  @PrimaryColumn({ type: 'varchar', length: 20 })
  purpose: ConsentPurpose;

  @Column({ type: 'boolean' })
  granted: boolean;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

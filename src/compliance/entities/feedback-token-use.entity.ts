import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Feedback invitation links that have been used (single use): the SHA-256 of the token. */
@Entity('feedback_token_uses')
export class FeedbackTokenUse {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  tokenHash: string;

  @Column({ type: 'uuid' })
  sessionId: string;

  @Column({ type: 'timestamptz' })
  usedAt: Date;
}

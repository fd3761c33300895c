import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { OneTimeToken, OneTimeTokenPurpose } from './entities/one-time-token.entity';
import { sha256 } from './token.service';

export const TOKEN_LIFETIME_MS: Record<OneTimeTokenPurpose, number> = {
  password_reset: 30 * 60_000,
  invite: 7 * 86_400_000,
};

/** Single-use emailed links, stored hashed, expiring. */
@Injectable()
export class OneTimeTokenService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** Issues a token; earlier unused tokens of the same purpose stop working. */
  async issue(
    userId: string,
    purpose: OneTimeTokenPurpose,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<string> {
    const now = this.clock.now();
    await manager.query(
      'UPDATE one_time_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL',
      [userId, purpose, now],
    );
    const token = randomBytes(32).toString('base64url');
    await manager.insert(OneTimeToken, {
      userId,
      purpose,
      tokenHash: sha256(token),
      expiresAt: new Date(now.getTime() + TOKEN_LIFETIME_MS[purpose]),
    });
    return token;
  }

  /** The user id the token was issued to, if it is valid; does not consume it. */
  async peek(token: string, purpose: OneTimeTokenPurpose): Promise<string | undefined> {
    const rows: { user_id: string }[] = await this.dataSource.query(
      'SELECT user_id FROM one_time_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3',
      [sha256(token), purpose, this.clock.now()],
    );
    return rows[0]?.user_id;
  }

  /** Uses the token up atomically; undefined when it is unknown, used or expired. */
  async consume(
    token: string,
    purpose: OneTimeTokenPurpose,
    manager: EntityManager,
  ): Promise<string | undefined> {
    const now = this.clock.now();
    const rows: [{ user_id: string }[], number] = await manager.query(
      `UPDATE one_time_tokens SET used_at = $3
       WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
       RETURNING user_id`,
      [sha256(token), purpose, now],
    );
    return rows[0]?.[0]?.user_id;
  }
}

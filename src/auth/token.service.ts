import { Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { Clock } from '../common/clock';
import { RefreshToken } from './entities/refresh-token.entity';
import { User } from './entities/user.entity';

export const ACCESS_TOKEN_SECONDS = 15 * 60;
const REFRESH_TOKEN_DAYS = 14;
/** Two browser tabs refreshing at once present the same token; that is not theft. */
const BROWSER_REUSE_GRACE_MS = 30_000;

export interface AccessClaims {
  sub: string;
  /** users.session_version when issued; a bump ends the session. */
  ver: number;
  /** refresh-token family: the sign-in session. */
  sid: string;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  familyId: string;
}

/** A refresh token presented a second time: its family has been revoked. */
export class RefreshReuseError extends UnauthorizedException {
  constructor(
    readonly userId: string,
    readonly familyId: string,
  ) {
    super('This refresh token was already used; every session it belonged to has been ended');
  }
}

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** Access tokens (JWT, HS256 pinned, 15 min) and rotating refresh tokens. */
@Injectable()
export class TokenService {
  constructor(
    private readonly jwt: JwtService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async issue(
    user: Pick<User, 'id' | 'sessionVersion'>,
    channel: 'api' | 'browser',
    manager?: EntityManager,
  ): Promise<TokenPair> {
    const familyId = randomUUID();
    return this.pair(user, familyId, channel, manager ?? this.dataSource.manager);
  }

  verifyAccess(token: string): AccessClaims | undefined {
    try {
      return this.jwt.verify<AccessClaims>(token, { algorithms: ['HS256'] });
    } catch {
      return undefined;
    }
  }

  /**
   * Exchanges a refresh token for a new pair. A token presented twice revokes
   * its whole family (API), except for browsers within a short grace window,
   * where it authenticates without rotating.
   */
  async rotate(
    presented: string,
    channel: 'api' | 'browser',
  ): Promise<{ user: User; pair?: TokenPair; familyId: string }> {
    type Outcome =
      { user: User; pair?: TokenPair; familyId: string } | { reusedFamily: string; userId: string };
    const outcome = await this.dataSource.transaction(async (manager): Promise<Outcome> => {
      const token = await manager
        .getRepository(RefreshToken)
        .createQueryBuilder('t')
        .setLock('pessimistic_write')
        .where('t.token_hash = :hash', { hash: sha256(presented) })
        .getOne();
      const now = this.clock.now();
      if (!token || token.channel !== channel || token.revokedAt || token.expiresAt <= now) {
        throw new UnauthorizedException('The refresh token is not valid; sign in again');
      }
      const user = await manager.getRepository(User).findOneBy({ id: token.userId });
      if (!user || !user.isActive)
        throw new UnauthorizedException('The refresh token is not valid; sign in again');
      if (token.usedAt) {
        if (
          channel === 'browser' &&
          now.getTime() - token.usedAt.getTime() < BROWSER_REUSE_GRACE_MS
        ) {
          return { user, familyId: token.familyId };
        }
        return { reusedFamily: token.familyId, userId: token.userId };
      }
      await manager.update(RefreshToken, { id: token.id }, { usedAt: now });
      return {
        user,
        pair: await this.pair(user, token.familyId, channel, manager),
        familyId: token.familyId,
      };
    });
    if ('reusedFamily' in outcome) {
      // Outside the transaction above, so the revocation stands although we refuse.
      await this.revokeFamily(outcome.reusedFamily);
      throw new RefreshReuseError(outcome.userId, outcome.reusedFamily);
    }
    return outcome;
  }

  async revokeByToken(presented: string): Promise<string | undefined> {
    const token = await this.dataSource
      .getRepository(RefreshToken)
      .findOneBy({ tokenHash: sha256(presented) });
    if (!token) return undefined;
    await this.revokeFamily(token.familyId);
    return token.userId;
  }

  async revokeFamily(
    familyId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await manager.update(
      RefreshToken,
      { familyId, revokedAt: IsNull() },
      { revokedAt: this.clock.now() },
    );
  }

  /** Ends every session of a user, optionally keeping one. */
  async revokeAllForUser(
    userId: string,
    manager: EntityManager = this.dataSource.manager,
    exceptFamily?: string,
  ): Promise<void> {
    const qb = manager
      .createQueryBuilder()
      .update(RefreshToken)
      .set({ revokedAt: this.clock.now() })
      .where('user_id = :userId AND revoked_at IS NULL', { userId });
    if (exceptFamily) qb.andWhere('family_id <> :exceptFamily', { exceptFamily });
    await qb.execute();
  }

  private async pair(
    user: Pick<User, 'id' | 'sessionVersion'>,
    familyId: string,
    channel: 'api' | 'browser',
    manager: EntityManager,
  ): Promise<TokenPair> {
    const refreshToken = randomBytes(32).toString('base64url');
    await manager.insert(RefreshToken, {
      userId: user.id,
      familyId,
      tokenHash: sha256(refreshToken),
      channel,
      expiresAt: new Date(this.clock.now().getTime() + REFRESH_TOKEN_DAYS * 86_400_000),
    });
    const claims: AccessClaims = { sub: user.id, ver: user.sessionVersion, sid: familyId };
    const accessToken = this.jwt.sign(claims, {
      algorithm: 'HS256',
      expiresIn: ACCESS_TOKEN_SECONDS,
    });
    return { accessToken, refreshToken, expiresIn: ACCESS_TOKEN_SECONDS, familyId };
  }
}

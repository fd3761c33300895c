import { HttpException, HttpStatus, Injectable, UnauthorizedException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AUDIT_ACTIONS } from '../audit/audit-actions';
import { Clock } from '../common/clock';
import { AuditContext, AuthAudit } from './auth-audit';
import { DetailedHttpError } from '../common/error-body';
import { User } from './entities/user.entity';
import { LockoutService } from './lockout.service';
import { OneTimeTokenService } from './one-time-token.service';
import { PasswordService } from './password.service';
import { RefreshReuseError, TokenPair, TokenService } from './token.service';
import { UsersService } from './users.service';

export interface SignInContext {
  ip: string;
  channel: 'api' | 'browser';
  audit?: AuditContext;
}

export class AccountLockedError extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(
      `Too many failed sign-ins for this account from your address; try again in ${Math.ceil(retryAfterSeconds / 60)} minutes`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

const BAD_CREDENTIALS = 'Email or password is not right';

/** Sign-in, sign-out, refresh and password changes. */
@Injectable()
export class AuthService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly tokens: TokenService,
    private readonly lockout: LockoutService,
    private readonly oneTimeTokens: OneTimeTokenService,
    private readonly clock: Clock,
    private readonly audit: AuthAudit,
  ) {}

  /** Checks email and password (with per account-and-IP lockout) and opens a session. */
  async signIn(
    email: string,
    password: string,
    context: SignInContext,
  ): Promise<{ user: User; tokens: TokenPair }> {
    const locked = await this.lockout.lockedFor(email, context.ip);
    const user = await this.users.findForSignIn(email);
    const details = { channel: context.channel };
    if (locked) {
      await this.audit.record(context.audit, {
        action: AUDIT_ACTIONS.signInFailed,
        outcome: 'denied',
        resourceId: user?.id,
        details: { ...details, reason: 'locked' },
      });
      throw new AccountLockedError(locked);
    }
    const ok = await this.passwords.verify(user?.passwordHash ?? null, password);
    if (!user || !ok || !user.isActive) {
      const reason = !user ? 'unknown_email' : !user.isActive ? 'inactive' : 'wrong_password';
      await this.audit.record(context.audit, {
        action: AUDIT_ACTIONS.signInFailed,
        outcome: 'failure',
        resourceId: user?.id,
        details: { ...details, reason },
      });
      const nowLocked = await this.lockout.recordFailure(email, context.ip);
      if (nowLocked) {
        await this.audit.record(context.audit, {
          action: AUDIT_ACTIONS.lockout,
          outcome: 'denied',
          resourceId: user?.id,
          details,
        });
        throw new AccountLockedError(await this.lockout.lockedFor(email, context.ip));
      }
      throw new UnauthorizedException(BAD_CREDENTIALS);
    }
    await this.lockout.reset(email, context.ip);
    const session = await this.openSession(user, context.channel);
    await this.audit.record(context.audit, {
      action: AUDIT_ACTIONS.signIn,
      userId: user.id,
      details: { ...details, method: 'password', sessionId: session.tokens.familyId },
    });
    return session;
  }

  /** A session for a user who proved who they are (password or SSO). */
  async openSession(
    user: User,
    channel: 'api' | 'browser',
  ): Promise<{ user: User; tokens: TokenPair }> {
    return this.dataSource.transaction(async (m) => {
      await m.getRepository(User).update({ id: user.id }, { lastLoginAt: this.clock.now() });
      return { user, tokens: await this.tokens.issue(user, channel, m) };
    });
  }

  async refresh(refreshToken: string, channel: 'api' | 'browser', audit?: AuditContext) {
    try {
      return await this.tokens.rotate(refreshToken, channel);
    } catch (error) {
      if (error instanceof RefreshReuseError) {
        await this.audit.record(audit, {
          action: AUDIT_ACTIONS.refreshReuse,
          outcome: 'denied',
          userId: error.userId,
          details: { sessionId: error.familyId },
        });
      }
      throw error;
    }
  }

  /** Ends the session the refresh token belongs to; unknown tokens are ignored. */
  async signOut(refreshToken: string, audit?: AuditContext): Promise<string | undefined> {
    const userId = await this.tokens.revokeByToken(refreshToken);
    if (userId) await this.audit.record(audit, { action: AUDIT_ACTIONS.signOut, userId });
    return userId;
  }

  /** Needs the current password; ends every other session. */
  async changePassword(
    userId: string,
    current: string,
    next: string,
    keepFamily?: string,
    audit?: AuditContext,
  ): Promise<void> {
    const user = await this.users.get(userId);
    const withHash = await this.users.findForSignIn(user.email);
    if (!(await this.passwords.verify(withHash?.passwordHash ?? null, current))) {
      throw new DetailedHttpError(400, 'The current password is not right', [
        { field: 'currentPassword', message: 'The current password is not right' },
      ]);
    }
    await this.dataSource.transaction(async (m) => {
      await this.users.setPassword(m, user, next, keepFamily);
      await this.audit.record(
        audit,
        { action: AUDIT_ACTIONS.passwordChanged, userId: user.id, changedFields: ['password'] },
        m,
      );
    });
  }

  /** Always answers the same, whether or not the email is known. */
  async requestPasswordReset(email: string, audit?: AuditContext): Promise<void> {
    const user = await this.users.findByEmail(email);
    if (user?.isActive) {
      await this.users.sendPasswordReset(user);
      await this.audit.record(audit, {
        action: AUDIT_ACTIONS.passwordResetRequested,
        resourceId: user.id,
      });
    }
  }

  /** Whether an emailed link is still valid (without using it up). */
  peekToken(token: string, purpose: 'password_reset' | 'invite'): Promise<string | undefined> {
    return this.oneTimeTokens.peek(token, purpose);
  }

  /** Sets the password from an emailed reset or invitation link; the link works once. */
  async completeWithToken(
    token: string,
    purpose: 'password_reset' | 'invite',
    password: string,
    audit?: AuditContext,
  ): Promise<User> {
    const userId = await this.oneTimeTokens.peek(token, purpose);
    const user = userId ? await this.users.findById(userId) : null;
    if (!user || !user.isActive) {
      throw new DetailedHttpError(400, 'This link is not valid any more; ask for a new one');
    }
    const problem = this.passwords.problem(password, user.email);
    if (problem)
      throw new DetailedHttpError(400, problem, [{ field: 'password', message: problem }]);
    return this.dataSource.transaction(async (m) => {
      const consumed = await this.oneTimeTokens.consume(token, purpose, m);
      if (consumed !== user.id)
        throw new DetailedHttpError(400, 'This link is not valid any more; ask for a new one');
      await this.users.setPassword(m, user, password);
      await this.audit.record(
        audit,
        {
          action: AUDIT_ACTIONS.passwordReset,
          userId: user.id,
          changedFields: ['password'],
          details: { via: purpose },
        },
        m,
      );
      return user;
    });
  }
}

import { ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AUDIT_ACTIONS } from '../audit/audit-actions';
import { Clock } from '../common/clock';
import { AuditContext, AuthAudit } from './auth-audit';
import { DetailedHttpError } from '../common/error-body';
import { decodeCursor, Page, toPage } from '../common/pagination';
import { AppConfig } from '../config/app-config';
import { stripHtml } from '../security/plain-text';
import { CATEGORIES } from '../notifications/notification-links';
import { NotificationsService } from '../notifications/notifications.service';
import { Role, ROLES, User } from './entities/user.entity';
import { OneTimeTokenService } from './one-time-token.service';
import { PasswordService } from './password.service';
import { TokenService } from './token.service';

export interface UserListQuery {
  q?: string;
  role?: Role;
  active?: boolean;
  limit: number;
  cursor?: string;
}

export interface NewUser {
  email: string;
  fullName: string;
  roles: Role[];
}

export const normaliseEmail = (email: string) => email.trim().toLowerCase();

/** Users, their roles and activation; every change that alters access ends the user's sessions. */
@Injectable()
export class UsersService {
  private readonly logger = new Logger('Users');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly passwords: PasswordService,
    private readonly tokens: TokenService,
    private readonly oneTimeTokens: OneTimeTokenService,
    private readonly notifications: NotificationsService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly audit: AuthAudit,
  ) {}

  private get repo() {
    return this.dataSource.getRepository(User);
  }

  findById(id: string): Promise<User | null> {
    return this.repo.findOneBy({ id });
  }

  async get(id: string): Promise<User> {
    const user = await this.findById(id);
    if (!user) throw new NotFoundException(`No user with id ${id}`);
    return user;
  }

  /** With the password hash, for sign-in. */
  findForSignIn(email: string): Promise<User | null> {
    return this.repo
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.email = :email', { email: normaliseEmail(email) })
      .getOne();
  }

  findByEmail(email: string): Promise<User | null> {
    return this.repo.findOneBy({ email: normaliseEmail(email) });
  }

  async list(query: UserListQuery): Promise<Page<User>> {
    const qb = this.repo.createQueryBuilder('u');
    if (query.q) {
      qb.andWhere('(u.email ILIKE :q OR u.full_name ILIKE :q)', {
        q: `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
      });
    }
    if (query.role) qb.andWhere(':role = ANY(u.roles)', { role: query.role });
    if (query.active !== undefined) qb.andWhere('u.is_active = :active', { active: query.active });
    const cursor = decodeCursor(query.cursor);
    if (cursor) qb.andWhere('u.email > :after', { after: cursor.value });
    const rows = await qb
      .orderBy('u.email', 'ASC')
      .take(query.limit + 1)
      .getMany();
    return toPage(rows, query.limit, (u) => ({ value: u.email, id: u.id }));
  }

  /**
   * Creates a user without a password and emails a single-use link to set one.
   * Admins never choose other people's passwords.
   */
  async invite(input: NewUser, audit?: AuditContext): Promise<User> {
    const run = async (m: EntityManager) => {
      const email = normaliseEmail(input.email);
      if (await m.getRepository(User).findOneBy({ email })) {
        throw new ConflictException(`A user with email ${email} already exists`);
      }
      const user = await m.getRepository(User).save(
        m.getRepository(User).create({
          email,
          fullName: stripHtml(input.fullName),
          roles: unique(input.roles),
          isActive: true,
        }),
      );
      const token = await this.oneTimeTokens.issue(user.id, 'invite', m);
      await this.audit.record(
        audit,
        {
          action: AUDIT_ACTIONS.userCreated,
          resourceId: user.id,
          changedFields: ['email', 'fullName', 'roles'],
          details: { roles: user.roles, via: 'invite' },
        },
        m,
      );
      return { user, token };
    };
    const { user, token } = await this.dataSource.transaction(run);
    await this.sendLink(user, 'invite', token);
    return user;
  }

  async setRoles(
    id: string,
    roles: Role[],
    manager?: EntityManager,
    audit?: AuditContext,
  ): Promise<User> {
    return this.inTransaction(manager, async (m) => {
      const user = await this.lockUser(m, id);
      const next = unique(roles);
      if (user.roles.includes('admin') && !next.includes('admin'))
        await this.assertNotLastAdmin(m, user.id);
      if (sameSet(user.roles, next)) return user;
      await this.endSessions(m, user, { roles: next });
      await this.audit.record(
        audit,
        {
          action: AUDIT_ACTIONS.rolesChanged,
          resourceId: user.id,
          changedFields: ['roles'],
          details: {
            added: next.filter((r) => !user.roles.includes(r)),
            removed: user.roles.filter((r) => !next.includes(r)),
          },
        },
        m,
      );
      return m.getRepository(User).findOneByOrFail({ id });
    });
  }

  async setActive(
    id: string,
    active: boolean,
    manager?: EntityManager,
    audit?: AuditContext,
  ): Promise<User> {
    return this.inTransaction(manager, async (m) => {
      const user = await this.lockUser(m, id);
      if (user.isActive === active) return user;
      if (!active && user.roles.includes('admin')) await this.assertNotLastAdmin(m, user.id);
      await this.endSessions(m, user, { isActive: active });
      await this.audit.record(
        audit,
        {
          action: active ? AUDIT_ACTIONS.userReactivated : AUDIT_ACTIONS.userDeactivated,
          resourceId: user.id,
          changedFields: ['isActive'],
        },
        m,
      );
      return m.getRepository(User).findOneByOrFail({ id });
    });
  }

  async rename(id: string, fullName: string): Promise<User> {
    const user = await this.get(id);
    await this.repo.update({ id }, { fullName: stripHtml(fullName) });
    return { ...user, fullName: stripHtml(fullName) };
  }

  /** Emails a single-use reset link (valid 30 minutes) to an active user. */
  async sendPasswordReset(user: User): Promise<void> {
    if (!user.isActive) return;
    const token = await this.oneTimeTokens.issue(user.id, 'password_reset');
    await this.sendLink(user, 'password_reset', token);
  }

  /** Sets a new password and ends every session except `keepFamily`. */
  async setPassword(
    m: EntityManager,
    user: User,
    password: string,
    keepFamily?: string,
  ): Promise<void> {
    const problem = this.passwords.problem(password, user.email);
    if (problem)
      throw new DetailedHttpError(400, problem, [{ field: 'password', message: problem }]);
    const passwordHash = await this.passwords.hash(password);
    await m.getRepository(User).update({ id: user.id }, {
      passwordHash,
      passwordChangedAt: this.clock.now(),
      sessionVersion: () => 'session_version + 1',
    } as never);
    await this.tokens.revokeAllForUser(user.id, m, keepFamily);
  }

  /** At boot: the first admin from ADMIN_EMAIL/ADMIN_PASSWORD when no admin exists. */
  async ensureFirstAdmin(): Promise<User | undefined> {
    const { ADMIN_EMAIL: email, ADMIN_PASSWORD: password } = this.config;
    if (!email || !password) return undefined;
    if (await this.countActiveAdmins(this.dataSource.manager)) return undefined;
    const problem = this.passwords.problem(password, email);
    if (problem) throw new Error(`ADMIN_PASSWORD is not acceptable: ${problem}`);
    const existing = await this.findByEmail(email);
    const passwordHash = await this.passwords.hash(password);
    if (existing) {
      await this.repo.update(
        { id: existing.id },
        { roles: unique([...existing.roles, 'admin']), isActive: true, passwordHash },
      );
      return this.get(existing.id);
    }
    return this.repo.save(
      this.repo.create({
        email: normaliseEmail(email),
        fullName: 'Administrator',
        roles: ['admin'],
        passwordHash,
      }),
    );
  }

  /**
   * Zero-setup start only: one demo user per role, sharing a one-time password
   * printed to the console (never shown on a page).
   */
  async createDemoUsers(): Promise<{ password: string; emails: string[] } | undefined> {
    if (await this.repo.count()) return undefined;
    const password = `Demo-${randomBytes(9).toString('base64url')}`;
    const passwordHash = await this.passwords.hash(password);
    const tutor = await this.dataSource.query(`SELECT id FROM tutors ORDER BY external_id LIMIT 1`);
    const student = await this.dataSource.query(
      `SELECT id FROM students ORDER BY external_id LIMIT 1`,
    );
    const users = ROLES.map((role) =>
      this.repo.create({
        email: `${role.replace('_', '.')}@demo.tutormax.invalid`,
        fullName: `Demo ${role.replace('_', ' ')}`,
        roles: [role],
        passwordHash,
        tutorId: role === 'tutor' ? (tutor[0]?.id ?? null) : null,
        studentId: role === 'student' ? (student[0]?.id ?? null) : null,
      }),
    );
    await this.repo.save(users);
    return { password, emails: users.map((u) => u.email) };
  }

  countActiveAdmins(m: EntityManager): Promise<number> {
    return m
      .getRepository(User)
      .createQueryBuilder('u')
      .where("u.is_active AND 'admin' = ANY(u.roles)")
      .getCount();
  }

  private async assertNotLastAdmin(m: EntityManager, userId: string): Promise<void> {
    // Lock the other admins' rows so two admins cannot demote each other at once.
    const others: { id: string }[] = await m.query(
      `SELECT id FROM users WHERE is_active AND 'admin' = ANY(roles) AND id <> $1 FOR UPDATE`,
      [userId],
    );
    if (others.length === 0) {
      throw new ConflictException(
        'This is the last active admin; make someone else an admin first',
      );
    }
  }

  private async lockUser(m: EntityManager, id: string): Promise<User> {
    const user = await m
      .getRepository(User)
      .createQueryBuilder('u')
      .setLock('pessimistic_write')
      .where('u.id = :id', { id })
      .getOne();
    if (!user) throw new NotFoundException(`No user with id ${id}`);
    return user;
  }

  /** Applies a change that alters access and ends the user's sessions at once. */
  private async endSessions(m: EntityManager, user: User, change: Partial<User>): Promise<void> {
    await m
      .getRepository(User)
      .update({ id: user.id }, { ...change, sessionVersion: user.sessionVersion + 1 });
    await this.tokens.revokeAllForUser(user.id, m);
  }

  private inTransaction<T>(
    manager: EntityManager | undefined,
    fn: (m: EntityManager) => Promise<T>,
  ): Promise<T> {
    return manager ? fn(manager) : this.dataSource.transaction(fn);
  }

  /** Emails an invitation link issued elsewhere (e.g. by the CSV import). */
  sendInviteLink(user: User, token: string): Promise<void> {
    return this.sendLink(user, 'invite', token);
  }

  /** Applies one action to many users, all or nothing. */
  async bulk(
    userIds: string[],
    action: 'add_role' | 'remove_role' | 'deactivate',
    role?: Role,
    audit?: AuditContext,
  ): Promise<{ changed: number }> {
    if (action !== 'deactivate' && !role) {
      throw new DetailedHttpError(400, `role is required for ${action}`, [
        { field: 'role', message: `role is required for ${action}` },
      ]);
    }
    return this.dataSource.transaction(async (m) => {
      const found: { id: string }[] = await m.query(
        'SELECT id FROM users WHERE id = ANY($1::uuid[])',
        [userIds],
      );
      const known = new Set(found.map((f) => f.id));
      const missing = userIds.filter((id) => !known.has(id));
      if (missing.length)
        throw new NotFoundException(
          `No user with id ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`,
        );
      let changed = 0;
      for (const id of [...userIds].sort()) {
        const user = await this.lockUser(m, id);
        if (action === 'deactivate') {
          if (!user.isActive) continue;
          await this.setActive(id, false, m, audit);
        } else {
          const next =
            action === 'add_role' ? [...user.roles, role!] : user.roles.filter((r) => r !== role);
          if (sameSet(user.roles, unique(next))) continue;
          await this.setRoles(id, next, m, audit);
        }
        changed++;
      }
      return { changed };
    });
  }

  private async sendLink(
    user: User,
    purpose: 'invite' | 'password_reset',
    token: string,
  ): Promise<void> {
    const base = this.config.PUBLIC_URL ?? `http://localhost:${this.config.PORT}`;
    const path = purpose === 'invite' ? '/set-password' : '/reset-password';
    try {
      // Queued and logged (the link is encrypted at rest); one message per token.
      await this.notifications.notify({
        workflow: purpose === 'invite' ? 'invite' : 'password-reset',
        entityKey: createHash('sha256').update(token).digest('hex').slice(0, 40),
        category: CATEGORIES.account,
        template: purpose === 'invite' ? 'invite' : 'password-reset',
        to: { kind: 'user', id: user.id, email: user.email },
        context: { recipientName: user.fullName, url: `${base}${path}?token=${token}` },
      });
    } catch (error) {
      this.logger.error(
        `could not send the ${purpose} email to user ${user.id}: ${(error as Error).message}`,
      );
      throw new DetailedHttpError(503, 'The email could not be sent right now; try again shortly');
    }
  }
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function sameSet<T>(a: T[], b: T[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

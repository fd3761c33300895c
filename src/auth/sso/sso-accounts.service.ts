import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { AUDIT_ACTIONS } from '../../audit/audit-actions';
import type { AuditRequestContext } from '../../audit/audit-request';
import { AuditService } from '../../audit/audit.service';
import { AppConfig } from '../../config/app-config';
import { UserIdentity } from '../entities/user-identity.entity';
import { User } from '../entities/user.entity';
import type { SsoProblem, SsoProfile } from './sso-profile';

export type SsoDecision =
  | { ok: true; user: User; how: 'matched' | 'linked' | 'provisioned' }
  | { ok: false; problem: SsoProblem; userId?: string };

const UNIQUE_VIOLATION = '23505';

/**
 * Who an SSO sign-in is, by these rules:
 * - a known (provider, subject) is that user, whatever email the provider now
 *   sends: email is never consulted again once an identity is linked;
 * - otherwise the provider must vouch for the email (Google: email_verified;
 *   Microsoft: an allowed tenant), and an active user with that email gets the
 *   identity linked, unless they already have another identity at the same
 *   provider (then an admin must sort it out);
 * - an unknown email is refused, unless its domain is in SSO_ALLOWED_DOMAINS:
 *   then the user is created with SSO_DEFAULT_ROLE, or with no role at all;
 * - a user without a role is not signed in (every page needs a permission,
 *   and permissions come from roles): they are told to ask an administrator,
 *   who finds them in the user list, linked, and only has to grant a role;
 * - a deactivated user is refused either way; a Microsoft tenant that is not
 *   in MICROSOFT_TENANTS is refused before anything else, linked or not.
 */
@Injectable()
export class SsoAccountsService {
  private readonly tenants: Set<string>;
  private readonly domains: Set<string>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {
    this.tenants = new Set(config.MICROSOFT_TENANTS.map((t) => t.toLowerCase()));
    this.domains = new Set(config.SSO_ALLOWED_DOMAINS.map((d) => d.toLowerCase()));
  }

  async resolve(profile: SsoProfile, context: AuditRequestContext): Promise<SsoDecision> {
    if (profile.provider === 'microsoft' && !this.tenants.has(profile.tenantId ?? ''))
      return { ok: false, problem: 'tenant_not_allowed' };
    let decision: SsoDecision;
    try {
      decision = await this.dataSource.transaction((m) => this.resolveIn(m, profile, context));
    } catch (error) {
      // A concurrent first sign-in linked or created the same identity or email: decide again.
      if (!isUniqueViolation(error)) throw error;
      decision = await this.dataSource.transaction((m) => this.resolveIn(m, profile, context));
    }
    // Without a role there is no page they may open; the link (or the new account) stays,
    // so an administrator only has to grant a role.
    if (decision.ok && decision.user.roles.length === 0)
      return { ok: false, problem: 'no_role', userId: decision.user.id };
    return decision;
  }

  private async resolveIn(
    m: EntityManager,
    profile: SsoProfile,
    context: AuditRequestContext,
  ): Promise<SsoDecision> {
    const identities = m.getRepository(UserIdentity);
    const users = m.getRepository(User);
    const known = await identities.findOne({
      where: { provider: profile.provider, subject: profile.subject },
      relations: { user: true },
    });
    if (known?.user) {
      if (!known.user.isActive) return { ok: false, problem: 'deactivated', userId: known.userId };
      return { ok: true, user: known.user, how: 'matched' };
    }

    if (!profile.email) return { ok: false, problem: 'no_email' };
    if (!profile.emailVerified) return { ok: false, problem: 'unverified' };

    const existing = await users
      .createQueryBuilder('u')
      .setLock('pessimistic_write')
      .where('u.email = :email', { email: profile.email })
      .getOne();
    if (existing) {
      if (!existing.isActive) return { ok: false, problem: 'deactivated', userId: existing.id };
      const linked = await identities.findOneBy({
        userId: existing.id,
        provider: profile.provider,
      });
      // The same subject: a concurrent first sign-in linked it while we waited for the lock.
      if (linked?.subject === profile.subject) return { ok: true, user: existing, how: 'matched' };
      if (linked) return { ok: false, problem: 'linked_elsewhere', userId: existing.id };
      await this.link(m, existing, profile);
      await this.recordLinked(m, existing, profile, context, false);
      return { ok: true, user: existing, how: 'linked' };
    }

    const domain = profile.email.slice(profile.email.lastIndexOf('@') + 1);
    if (!this.domains.has(domain)) return { ok: false, problem: 'unknown_email' };
    const roles = this.config.SSO_DEFAULT_ROLE ? [this.config.SSO_DEFAULT_ROLE] : [];
    const user = await users.save(
      users.create({
        email: profile.email,
        fullName: profile.displayName ?? profile.email.slice(0, profile.email.indexOf('@')),
        roles,
        isActive: true,
        passwordHash: null,
      }),
    );
    await this.link(m, user, profile);
    // Audit rows last: each append holds the chain's lock until this transaction commits.
    await this.audit.record(
      {
        ...context,
        actor: { type: 'system', id: null },
        action: AUDIT_ACTIONS.userCreated,
        outcome: 'success',
        resourceType: 'user',
        resourceId: user.id,
        changedFields: ['email', 'fullName', 'roles'],
        details: { via: 'sso', provider: profile.provider, roles },
      },
      m,
    );
    await this.recordLinked(m, user, profile, context, true);
    return { ok: true, user, how: 'provisioned' };
  }

  private async link(m: EntityManager, user: User, profile: SsoProfile): Promise<void> {
    await m.getRepository(UserIdentity).insert({
      userId: user.id,
      provider: profile.provider,
      subject: profile.subject,
      email: profile.email!,
    });
  }

  private recordLinked(
    m: EntityManager,
    user: User,
    profile: SsoProfile,
    context: AuditRequestContext,
    provisioned: boolean,
  ) {
    return this.audit.record(
      {
        ...context,
        actor: { type: 'user', id: user.id },
        action: AUDIT_ACTIONS.ssoLinked,
        outcome: 'success',
        resourceType: 'user',
        resourceId: user.id,
        details: { provider: profile.provider, provisioned },
      },
      m,
    );
  }
}

function isUniqueViolation(error: unknown): boolean {
  return (
    error instanceof QueryFailedError &&
    (error.driverError as { code?: string } | undefined)?.code === UNIQUE_VIOLATION
  );
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource, IsNull } from 'typeorm';
import { AUDIT_ACTIONS } from '../audit/audit-actions';
import { Clock } from '../common/clock';
import { stripHtml } from '../security/plain-text';
import { AuditContext, AuthAudit } from './auth-audit';
import { DetailedHttpError } from '../common/error-body';
import { AppConfig } from '../config/app-config';
import { ApiKey } from './entities/api-key.entity';
import { API_KEY_PERMISSIONS, Permission } from './permissions';
import type { Principal } from './principal';

const digest = (value: string) => createHash('sha256').update(value).digest();
const KEY_PREFIX = 'tmk_';
/** Writes of last_used_at are spaced out so a busy client does not write on every call. */
const LAST_USED_RESOLUTION_MS = 5 * 60_000;

export type ApiKeyPrincipal = Extract<Principal, { kind: 'api-key' }>;

/**
 * Machine-client keys: those from API_KEYS, and those an admin creates (shown
 * once, stored as SHA-256, with a permission scope no wider than tutoring
 * records).
 */
@Injectable()
export class ApiKeyService {
  private readonly envDigests: Buffer[];

  constructor(
    config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly audit: AuthAudit,
  ) {
    this.envDigests = config.API_KEYS.map(digest);
  }

  async verify(presented: string): Promise<ApiKeyPrincipal | undefined> {
    const candidate = digest(presented);
    let envMatch: Buffer | undefined;
    for (const known of this.envDigests) if (timingSafeEqual(known, candidate)) envMatch = known;
    if (envMatch) {
      return {
        kind: 'api-key',
        id: `env:${envMatch.toString('hex').slice(0, 8)}`,
        permissions: new Set(API_KEY_PERMISSIONS),
      };
    }
    if (!presented.startsWith(KEY_PREFIX)) return undefined;
    const key = await this.dataSource
      .getRepository(ApiKey)
      .findOneBy({ keyHash: candidate.toString('hex'), revokedAt: IsNull() });
    if (!key) return undefined;
    const now = this.clock.now();
    if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.dataSource.getRepository(ApiKey).update({ id: key.id }, { lastUsedAt: now });
    }
    return { kind: 'api-key', id: key.id, permissions: new Set(key.permissions) };
  }

  list(): Promise<ApiKey[]> {
    return this.dataSource.getRepository(ApiKey).find({ order: { createdAt: 'DESC' } });
  }

  /** Creates a key; the returned secret is shown once and never stored. */
  async create(
    name: string,
    permissions: Permission[],
    createdByUserId: string,
    audit?: AuditContext,
  ): Promise<{ key: ApiKey; secret: string }> {
    const outside = permissions.filter((p) => !API_KEY_PERMISSIONS.includes(p));
    if (outside.length || !permissions.length) {
      throw new DetailedHttpError(
        400,
        `An API key may hold only ${API_KEY_PERMISSIONS.join(', ')}`,
        [{ field: 'permissions', message: `allowed: ${API_KEY_PERMISSIONS.join(', ')}` }],
      );
    }
    const secret = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const key = await this.dataSource.transaction(async (m) => {
      const saved = await m.getRepository(ApiKey).save(
        m.getRepository(ApiKey).create({
          name: stripHtml(name),
          prefix: secret.slice(0, 12),
          keyHash: digest(secret).toString('hex'),
          permissions: [...new Set(permissions)],
          createdByUserId,
        }),
      );
      await this.audit.record(
        audit,
        {
          action: AUDIT_ACTIONS.apiKeyCreated,
          resourceType: 'api_key',
          resourceId: saved.id,
          details: { permissions: saved.permissions },
        },
        m,
      );
      return saved;
    });
    return { key, secret };
  }

  async revoke(id: string, audit?: AuditContext): Promise<ApiKey> {
    const repo = this.dataSource.getRepository(ApiKey);
    const key = await repo.findOneBy({ id });
    if (!key) throw new DetailedHttpError(404, `No API key with id ${id}`);
    if (!key.revokedAt) {
      await this.dataSource.transaction(async (m) => {
        await m.getRepository(ApiKey).update({ id }, { revokedAt: this.clock.now() });
        await this.audit.record(
          audit,
          { action: AUDIT_ACTIONS.apiKeyRevoked, resourceType: 'api_key', resourceId: id },
          m,
        );
      });
    }
    return (await repo.findOneBy({ id }))!;
  }
}

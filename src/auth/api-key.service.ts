import { Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { API_KEY_PERMISSIONS, Permission } from './permissions';

export interface ApiKeyPrincipal {
  kind: 'api-key';
  /** A non-secret id: the first 8 hex characters of the key's SHA-256. */
  id: string;
  permissions: readonly Permission[];
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Machine-client keys from API_KEYS, compared in constant time by their digests. */
@Injectable()
export class ApiKeyService {
  private readonly digests: Buffer[];

  constructor(config: AppConfig) {
    this.digests = config.API_KEYS.map(digest);
  }

  verify(presented: string): ApiKeyPrincipal | undefined {
    const candidate = digest(presented);
    let match: Buffer | undefined;
    for (const known of this.digests) {
      if (timingSafeEqual(known, candidate)) match = known;
    }
    if (!match) return undefined;
    return {
      kind: 'api-key',
      id: match.toString('hex').slice(0, 8),
      permissions: API_KEY_PERMISSIONS,
    };
  }
}

import { Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config';

const PREFIX = 'enc1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for personal data at rest. Each value records the id of the key
 * that sealed it (`enc1:<kid>:<iv>:<tag>:<ciphertext>`, base64url parts), so
 * keys rotate: the first key of ENCRYPTION_KEYS encrypts, every listed key
 * decrypts. `blindIndex` is a keyed hash for equality lookups (e.g. by email).
 */
@Injectable()
export class FieldCipher {
  private readonly keys = new Map<string, Buffer>();
  private readonly activeKid: string;
  private readonly indexKey: Buffer;

  constructor(config: AppConfig) {
    const entries = config.ENCRYPTION_KEYS.split(',').map((entry) => {
      const [kid, key] = entry.split(':');
      return [kid, Buffer.from(key, 'base64')] as const;
    });
    for (const [kid, key] of entries) {
      if (key.length !== 32) throw new Error(`ENCRYPTION_KEYS: key ${kid} is not 32 bytes`);
      this.keys.set(kid, key);
    }
    this.activeKid = entries[0][0];
    this.indexKey = Buffer.from(config.BLIND_INDEX_KEY, 'base64');
  }

  /** Id of the key that encrypts (the first of ENCRYPTION_KEYS). */
  get activeKeyId(): string {
    return this.activeKid;
  }

  /** Whether `value` has the shape of an encrypted value (`enc1:<kid>:<iv>:<tag>:<ciphertext>`). */
  isEncrypted(value: string): boolean {
    const parts = value.split(':');
    return parts.length === 5 && parts[0] === PREFIX && parts[1] !== '';
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeKid)!, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [
      PREFIX,
      this.activeKid,
      iv.toString('base64url'),
      tag.toString('base64url'),
      ciphertext.toString('base64url'),
    ].join(':');
  }

  decrypt(value: string): string {
    const parts = value.split(':');
    if (parts.length !== 5 || parts[0] !== PREFIX) throw new Error('not an encrypted value');
    const [, kid, iv, tag, ciphertext] = parts;
    const key = this.keys.get(kid);
    if (!key) throw new Error(`no key ${kid} in ENCRYPTION_KEYS to decrypt this value`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(ciphertext, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  }

  encryptNullable(plaintext: string | null | undefined): string | null {
    return plaintext === null || plaintext === undefined ? null : this.encrypt(plaintext);
  }

  decryptNullable(value: string | null | undefined): string | null {
    return value === null || value === undefined ? null : this.decrypt(value);
  }

  /** Whether a stored value was sealed with an older key (to re-encrypt during rotation). */
  needsRotation(value: string): boolean {
    return value.split(':')[1] !== this.activeKid;
  }

  /** Keyed, deterministic hash for equality lookups; normalise (e.g. lower-case) before calling. */
  blindIndex(value: string): string {
    return createHmac('sha256', this.indexKey).update(value, 'utf8').digest('base64url');
  }
}

import { Injectable } from '@nestjs/common';
import { dictionary } from '@zxcvbn-ts/language-common';
import * as argon2 from 'argon2';

export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 256;

/** Password policy and argon2id hashing. */
@Injectable()
export class PasswordService {
  private readonly common = new Set(dictionary.passwords.map((p) => p.toLowerCase()));
  /** Verified against when the account does not exist, so timing does not tell. */
  private readonly decoy = argon2.hash('decoy-password-for-timing', { type: argon2.argon2id });

  /** The problem with a proposed password, or undefined when it is acceptable. */
  problem(password: string, email?: string): string | undefined {
    if (password.length < MIN_PASSWORD_LENGTH)
      return `Password must be at least ${MIN_PASSWORD_LENGTH} characters`;
    if (password.length > MAX_PASSWORD_LENGTH)
      return `Password must be at most ${MAX_PASSWORD_LENGTH} characters`;
    const lower = password.toLowerCase();
    if (this.common.has(lower) || /^(.)\1+$/.test(password))
      return 'Password is too common; choose another';
    if (
      email &&
      lower.includes(email.toLowerCase().split('@')[0]) &&
      email.split('@')[0].length >= 4
    ) {
      return 'Password must not contain your email name';
    }
    return undefined;
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id });
  }

  async verify(hash: string | null, password: string): Promise<boolean> {
    if (!hash) {
      await argon2.verify(await this.decoy, password).catch(() => false);
      return false;
    }
    return argon2.verify(hash, password).catch(() => false);
  }
}

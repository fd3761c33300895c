import type { ValueTransformer } from 'typeorm';
import type { FieldCipher } from '../security/field-cipher';

/*
 * Encrypted columns. TypeORM creates column transformers when the entity
 * classes are decorated, long before Nest builds the FieldCipher from the
 * configuration, so the transformer finds the cipher in this one-slot
 * registry: SecurityModule fills it when the application boots. Outside the
 * app (the seed and rotation CLIs, raw SQL readers) nothing is registered and
 * code passes a FieldCipher explicitly.
 *
 * What the transformer does: entities hold plaintext; the column holds
 * `enc1:<kid>:…` (FieldCipher). Writing through the ORM (save, insert)
 * encrypts, loading decrypts. A `where` on an encrypted property can never
 * match (each encryption differs): look rows up through a blind-index column
 * instead. Raw SQL sees ciphertext and must call FieldCipher.decrypt itself.
 */

let registered: FieldCipher | null = null;

/** Called by SecurityModule at boot; the last application booted in a process wins. */
export function registerFieldCipher(cipher: FieldCipher): void {
  registered = cipher;
}

/** The application's FieldCipher; throws when none was registered (code running outside the app). */
export function registeredFieldCipher(): FieldCipher {
  if (!registered) {
    throw new Error(
      'no FieldCipher registered for encrypted columns: they are readable only inside the ' +
        'application (SecurityModule registers the cipher at boot); elsewhere decrypt raw values ' +
        'with a FieldCipher',
    );
  }
  return registered;
}

export class EncryptedColumnTransformer implements ValueTransformer {
  to(value: unknown): unknown {
    if (value === null || value === undefined) return value;
    if (typeof value !== 'string') throw new TypeError('an encrypted column holds text');
    return registeredFieldCipher().encrypt(value);
  }

  from(value: unknown): unknown {
    if (value === null || value === undefined) return value;
    return registeredFieldCipher().decrypt(value as string);
  }
}

/** `@Column({ type: 'text', transformer: encrypted })`: plaintext in the entity, ciphertext in the row. */
export const encrypted = new EncryptedColumnTransformer();

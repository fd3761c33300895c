import type { FieldCipher } from './field-cipher';

/** How email addresses are compared everywhere: trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Blind index of an email address, for lookups by email over encrypted columns
 * (`students.email_index`, `students.parent_email_index`). The same address
 * gives the same index in every column and table, whatever its case, so one
 * value finds a person wherever their address is stored.
 */
export function emailBlindIndex(cipher: FieldCipher, email: string): string {
  return cipher.blindIndex(normalizeEmail(email));
}

export function emailBlindIndexNullable(
  cipher: FieldCipher,
  email: string | null | undefined,
): string | null {
  return email === null || email === undefined ? null : emailBlindIndex(cipher, email);
}

/**
 * Keyed hash of an encrypted value, stored beside it so that a bulk upsert can
 * tell an unchanged value from a changed one without decrypting (every
 * encryption gives a different ciphertext). `purpose` (e.g. `students.name`)
 * keeps the hashes of different columns unrelated to each other and to the
 * email blind indexes. Keyed (BLIND_INDEX_KEY), so a database dump alone
 * cannot be checked against a list of guesses.
 */
export function contentHash(cipher: FieldCipher, purpose: string, plaintext: string): string {
  return cipher.blindIndex(`${purpose}\u0000${plaintext}`);
}

export function contentHashNullable(
  cipher: FieldCipher,
  purpose: string,
  plaintext: string | null | undefined,
): string | null {
  return plaintext === null || plaintext === undefined
    ? null
    : contentHash(cipher, purpose, plaintext);
}

import type { EncryptedColumnSpec } from '../security/encryption-rotation';
import type { FieldCipher } from '../security/field-cipher';
import { contentHash, emailBlindIndex, emailBlindIndexNullable } from '../security/keyed-hash';

/*
 * Personal data of the tutoring records, encrypted at rest (FieldCipher,
 * `enc1:<kid>:…` in `text` columns), each with a keyed hash beside it:
 *
 *   students.name                 name_hash            (change detection)
 *   students.email                email_index          (blind index: lookup by email)
 *   students.parent_email         parent_email_index   (blind index: lookup by parent email)
 *   student_feedback.free_text    free_text_hash       (change detection)
 *
 * Ciphertexts differ on every write, so the bulk upsert compares the hashes to
 * tell "unchanged" from "updated" and rewrites a ciphertext only when its
 * plaintext changed. Every writer (ingestion, synthetic data, the ORM through
 * the entities' listeners) computes them with the functions below.
 */

/**
 * What `students.name` holds for a child under 13 until a parent has verified
 * consent (COPPA, DOMAIN.md §8.2): the real name is not stored before then;
 * the first ingestion after consent brings it.
 */
export const WITHHELD_STUDENT_NAME = 'Student (name withheld)';

const STUDENT_NAME = 'students.name';
const FEEDBACK_TEXT = 'student_feedback.free_text';

export const studentNameHash = (cipher: FieldCipher, name: string): string =>
  contentHash(cipher, STUDENT_NAME, name);

export const feedbackTextHash = (cipher: FieldCipher, freeText: string): string =>
  contentHash(cipher, FEEDBACK_TEXT, freeText);

export interface StudentPersonalData {
  name: string;
  email: string | null;
  parentEmail: string | null;
}

export interface SealedStudentPersonalData {
  name: string;
  nameHash: string;
  email: string | null;
  emailIndex: string | null;
  parentEmail: string | null;
  parentEmailIndex: string | null;
}

/** Encrypts a student's personal fields (as they are to be stored) and computes their hashes. */
export function sealStudent(
  cipher: FieldCipher,
  student: StudentPersonalData,
): SealedStudentPersonalData {
  return {
    name: cipher.encrypt(student.name),
    nameHash: studentNameHash(cipher, student.name),
    email: cipher.encryptNullable(student.email),
    emailIndex: emailBlindIndexNullable(cipher, student.email),
    parentEmail: cipher.encryptNullable(student.parentEmail),
    parentEmailIndex: emailBlindIndexNullable(cipher, student.parentEmail),
  };
}

/** Encrypts a feedback comment and computes its hash (both null without a comment). */
export function sealFeedbackText(
  cipher: FieldCipher,
  freeText: string | null,
): { freeText: string | null; freeTextHash: string | null } {
  return freeText === null
    ? { freeText: null, freeTextHash: null }
    : { freeText: cipher.encrypt(freeText), freeTextHash: feedbackTextHash(cipher, freeText) };
}

/** What `npm run encryption:rotate` walks for the tutoring records. */
export const TUTORING_ENCRYPTED_COLUMNS: EncryptedColumnSpec[] = [
  { table: 'students', column: 'name', hash: { column: 'name_hash', of: studentNameHash } },
  { table: 'students', column: 'email', hash: { column: 'email_index', of: emailBlindIndex } },
  {
    table: 'students',
    column: 'parent_email',
    hash: { column: 'parent_email_index', of: emailBlindIndex },
  },
  {
    table: 'student_feedback',
    column: 'free_text',
    hash: { column: 'free_text_hash', of: feedbackTextHash },
  },
];

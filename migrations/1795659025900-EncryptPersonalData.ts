import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Personal data of students and feedback is encrypted at rest (FieldCipher,
 * `enc1:<kid>:…` values): the encrypted columns become `text`, and keyed
 * hashes are stored beside them: blind indexes for lookup by email, change
 * hashes so bulk upserts see unchanged records.
 *
 * SQL cannot encrypt with the app's key, so rows written before this migration
 * keep their plaintext and have no hashes; the app refuses to read them until
 * `npm run encryption:rotate` has encrypted them and filled their hashes (or
 * the database is re-seeded).
 */
export class EncryptPersonalData1795659025900 implements MigrationInterface {
  name = 'EncryptPersonalData1795659025900';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "students" ALTER COLUMN "name" TYPE text`);
    await queryRunner.query(`ALTER TABLE "students" ALTER COLUMN "email" TYPE text`);
    await queryRunner.query(`ALTER TABLE "students" ALTER COLUMN "parent_email" TYPE text`);
    await queryRunner.query(`ALTER TABLE "students" ADD "name_hash" character varying(64)`);
    await queryRunner.query(`ALTER TABLE "students" ADD "email_index" character varying(64)`);
    await queryRunner.query(
      `ALTER TABLE "students" ADD "parent_email_index" character varying(64)`,
    );
    await queryRunner.query(
      `ALTER TABLE "student_feedback" ADD "free_text_hash" character varying(64)`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_students_email_index" ON "students" ("email_index") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_students_parent_email_index" ON "students" ("parent_email_index") `,
    );
  }

  /** Restores the column types; values stay encrypted (and longer ones no longer fit). */
  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_students_parent_email_index"`);
    await queryRunner.query(`DROP INDEX "public"."idx_students_email_index"`);
    await queryRunner.query(`ALTER TABLE "student_feedback" DROP COLUMN "free_text_hash"`);
    await queryRunner.query(`ALTER TABLE "students" DROP COLUMN "parent_email_index"`);
    await queryRunner.query(`ALTER TABLE "students" DROP COLUMN "email_index"`);
    await queryRunner.query(`ALTER TABLE "students" DROP COLUMN "name_hash"`);
    await queryRunner.query(
      `ALTER TABLE "students" ALTER COLUMN "parent_email" TYPE character varying(320)`,
    );
    await queryRunner.query(
      `ALTER TABLE "students" ALTER COLUMN "email" TYPE character varying(320)`,
    );
    await queryRunner.query(
      `ALTER TABLE "students" ALTER COLUMN "name" TYPE character varying(200)`,
    );
  }
}

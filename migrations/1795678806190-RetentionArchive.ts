import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The archive schema: education records the retention sweep moved out of the
 * live tables, one row per record, its row as gzip-compressed JSON; and the
 * restorations an admin made (a restored student is not archived again at once).
 */
export class RetentionArchive1795678806190 implements MigrationInterface {
  name = 'RetentionArchive1795678806190';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS "archive"`);
    await queryRunner.query(
      `CREATE TABLE "archive"."records" ("id" bigserial NOT NULL, "class_key" character varying(40) NOT NULL, "source_table" character varying(63) NOT NULL, "original_id" character varying(100) NOT NULL, "subject_type" character varying(20) NOT NULL, "subject_id" uuid NOT NULL, "subject_user_ids" uuid array NOT NULL DEFAULT '{}', "tutor_id" uuid, "last_activity_at" TIMESTAMP WITH TIME ZONE NOT NULL, "archived_at" TIMESTAMP WITH TIME ZONE NOT NULL, "payload" bytea NOT NULL, CONSTRAINT "pk_archive_records" PRIMARY KEY ("id"), CONSTRAINT "uq_archive_records_source" UNIQUE ("source_table", "original_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_archive_records_subject" ON "archive"."records" ("subject_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_archive_records_users" ON "archive"."records" USING gin ("subject_user_ids")`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_archive_records_archived_at" ON "archive"."records" ("archived_at")`,
    );
    await queryRunner.query(
      `CREATE TABLE "archive"."restorations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "subject_id" uuid NOT NULL, "records" integer NOT NULL, "restored_by_user_id" uuid, "restored_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_archive_restorations" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_archive_restorations_subject" ON "archive"."restorations" ("subject_id", "restored_at")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "archive"."restorations"`);
    await queryRunner.query(`DROP TABLE "archive"."records"`);
    await queryRunner.query(`DROP SCHEMA "archive"`);
  }
}

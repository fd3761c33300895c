import { MigrationInterface, QueryRunner } from 'typeorm';

export class Retention1795672380886 implements MigrationInterface {
  name = 'Retention1795672380886';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "retention_settings" ("class_key" character varying(40) NOT NULL, "acting_enabled" boolean NOT NULL DEFAULT false, "updated_by_user_id" uuid, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_6845b2b625389cbb57c8f2bd071" PRIMARY KEY ("class_key"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "retention_runs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "ran_at" TIMESTAMP WITH TIME ZONE NOT NULL, "due" jsonb NOT NULL, "acted" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_80f0aec401112f8d4bad156a908" PRIMARY KEY ("id"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "retention_runs"`);
    await queryRunner.query(`DROP TABLE "retention_settings"`);
  }
}

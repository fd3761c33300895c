import { MigrationInterface, QueryRunner } from 'typeorm';

export class Coppa1795671070874 implements MigrationInterface {
  name = 'Coppa1795671070874';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "parental_consents" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "student_id" uuid NOT NULL, "status" character varying(20) NOT NULL, "method" character varying(60) NOT NULL, "granted_at" TIMESTAMP WITH TIME ZONE NOT NULL, "ip_enc" text, "evidence_ref" character varying(200) NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_08e1c5b36ca8421bb07d863b3b2" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_parental_consents_student" ON "parental_consents" ("student_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "parent_link_tokens" ("token_hash" character varying(64) NOT NULL, "student_id" uuid NOT NULL, "purpose" character varying(20) NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5d95de41d06d307b6eb75a57075" PRIMARY KEY ("token_hash"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_parent_link_tokens_student" ON "parent_link_tokens" ("student_id") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_parent_link_tokens_student"`);
    await queryRunner.query(`DROP TABLE "parent_link_tokens"`);
    await queryRunner.query(`DROP INDEX "public"."idx_parental_consents_student"`);
    await queryRunner.query(`DROP TABLE "parental_consents"`);
  }
}

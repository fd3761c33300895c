import { MigrationInterface, QueryRunner } from 'typeorm';

export class CoppaIngestAndBreachRegister1795678757476 implements MigrationInterface {
  name = 'CoppaIngestAndBreachRegister1795678757476';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "breach_incidents" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "title" character varying(200) NOT NULL, "description" text NOT NULL, "discovered_at" TIMESTAMP WITH TIME ZONE NOT NULL, "affected_record_count" integer NOT NULL, "affected_categories" text array NOT NULL DEFAULT '{}', "affected_subject_count" integer, "affected_subject_kinds" text array NOT NULL DEFAULT '{}', "severity" character varying(10) NOT NULL, "status" character varying(10) NOT NULL DEFAULT 'open', "authority_notified_at" TIMESTAMP WITH TIME ZONE, "subjects_notified_at" TIMESTAMP WITH TIME ZONE, "actions_taken" text, "recorded_by_user_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_0279b340a29cd41f04bda71fc34" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_breach_incidents_discovered" ON "breach_incidents" ("discovered_at") `,
    );
    // The address a parent link was emailed to (blind index), so an automatic
    // consent request goes once per child and parent address.
    await queryRunner.query(
      `ALTER TABLE "parent_link_tokens" ADD "sent_to_index" character varying(64)`,
    );
    // A parent's deletion request erases a child who has no user account.
    await queryRunner.query(
      `ALTER TABLE "erasure_ledger" ALTER COLUMN "subject_user_id" DROP NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "erasure_ledger" ALTER COLUMN "subject_user_id" SET NOT NULL`,
    );
    await queryRunner.query(`ALTER TABLE "parent_link_tokens" DROP COLUMN "sent_to_index"`);
    await queryRunner.query(`DROP INDEX "public"."idx_breach_incidents_discovered"`);
    await queryRunner.query(`DROP TABLE "breach_incidents"`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

export class InterventionsManagerNotesDelivery1795668123826 implements MigrationInterface {
  name = 'InterventionsManagerNotesDelivery1795668123826';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "tutor_manager_notes" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "tutor_id" uuid NOT NULL, "author_user_id" uuid, "body" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_ced05f92bdfd50ee9acfeca47db" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_tutor_manager_notes_tutor" ON "tutor_manager_notes" ("tutor_id", "created_at") `,
    );
    await queryRunner.query(
      `ALTER TABLE "notification_messages" ADD "report_outcome" boolean NOT NULL DEFAULT false`,
    );
    await queryRunner.query(
      `ALTER TABLE "tutor_manager_notes" ADD CONSTRAINT "fk_tutor_manager_notes_tutor" FOREIGN KEY ("tutor_id") REFERENCES "tutors"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "tutor_manager_notes" ADD CONSTRAINT "fk_tutor_manager_notes_author" FOREIGN KEY ("author_user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "tutor_manager_notes" DROP CONSTRAINT "fk_tutor_manager_notes_author"`,
    );
    await queryRunner.query(
      `ALTER TABLE "tutor_manager_notes" DROP CONSTRAINT "fk_tutor_manager_notes_tutor"`,
    );
    await queryRunner.query(`ALTER TABLE "notification_messages" DROP COLUMN "report_outcome"`);
    await queryRunner.query(`DROP INDEX "public"."idx_tutor_manager_notes_tutor"`);
    await queryRunner.query(`DROP TABLE "tutor_manager_notes"`);
  }
}

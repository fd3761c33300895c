import { MigrationInterface, QueryRunner } from 'typeorm';

export class SelfService1795668101219 implements MigrationInterface {
  name = 'SelfService1795668101219';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "tutor_acknowledgements" ("tutor_id" uuid NOT NULL, "subject_kind" character varying(12) NOT NULL, "subject_id" uuid NOT NULL, "acknowledged_at" TIMESTAMP WITH TIME ZONE NOT NULL, "user_id" uuid, CONSTRAINT "PK_7e8c65fa30b8e288c1aa430089b" PRIMARY KEY ("tutor_id", "subject_kind", "subject_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "tutor_goals" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "tutor_id" uuid NOT NULL, "type" character varying(30) NOT NULL, "title" character varying(120), "target_value" real, "baseline_value" real, "starts_on" date NOT NULL, "due_on" date NOT NULL, "completed_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_01ec30293733478f3433b61cba4" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_tutor_goals_tutor_created" ON "tutor_goals" ("tutor_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "tutor_training_progress" ("tutor_id" uuid NOT NULL, "module_id" character varying(60) NOT NULL, "status" character varying(12) NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE, "completed_at" TIMESTAMP WITH TIME ZONE, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_2c29bccc34125dcd4102fc32a52" PRIMARY KEY ("tutor_id", "module_id"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "tutor_acknowledgements" ADD CONSTRAINT "fk_acknowledgements_tutor" FOREIGN KEY ("tutor_id") REFERENCES "tutors"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "tutor_acknowledgements" ADD CONSTRAINT "fk_acknowledgements_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "tutor_goals" ADD CONSTRAINT "fk_tutor_goals_tutor" FOREIGN KEY ("tutor_id") REFERENCES "tutors"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "tutor_training_progress" ADD CONSTRAINT "fk_training_progress_tutor" FOREIGN KEY ("tutor_id") REFERENCES "tutors"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "tutor_training_progress" DROP CONSTRAINT "fk_training_progress_tutor"`,
    );
    await queryRunner.query(`ALTER TABLE "tutor_goals" DROP CONSTRAINT "fk_tutor_goals_tutor"`);
    await queryRunner.query(
      `ALTER TABLE "tutor_acknowledgements" DROP CONSTRAINT "fk_acknowledgements_user"`,
    );
    await queryRunner.query(
      `ALTER TABLE "tutor_acknowledgements" DROP CONSTRAINT "fk_acknowledgements_tutor"`,
    );
    await queryRunner.query(`DROP TABLE "tutor_training_progress"`);
    await queryRunner.query(`DROP INDEX "public"."idx_tutor_goals_tutor_created"`);
    await queryRunner.query(`DROP TABLE "tutor_goals"`);
    await queryRunner.query(`DROP TABLE "tutor_acknowledgements"`);
  }
}

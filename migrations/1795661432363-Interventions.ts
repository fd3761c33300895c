import { MigrationInterface, QueryRunner } from 'typeorm';

export class Interventions1795661432363 implements MigrationInterface {
  name = 'Interventions1795661432363';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "intervention_config_versions" ("kind" character varying(10) NOT NULL, "version" integer NOT NULL, "document" jsonb NOT NULL, "created_by_user_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_29f540541256d8c18d39ef53509" PRIMARY KEY ("kind", "version"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "interventions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "tutor_id" uuid NOT NULL, "type" character varying(40) NOT NULL, "kind" character varying(10) NOT NULL, "priority" character varying(10) NOT NULL, "priority_rank" smallint NOT NULL, "status" character varying(20) NOT NULL, "rule_id" character varying(60), "created_by_user_id" uuid, "reason" text NOT NULL, "evidence" jsonb NOT NULL DEFAULT '{}', "assignee_user_id" uuid, "outcome" character varying(20), "cancel_reason" text, "delivery_status" character varying(10), "delivery_error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "resolved_at" TIMESTAMP WITH TIME ZONE, "sla_policy_version" integer NOT NULL, "first_action_due_at" TIMESTAMP WITH TIME ZONE NOT NULL, "first_action_at_risk_at" TIMESTAMP WITH TIME ZONE NOT NULL, "first_action_paused_ms" bigint NOT NULL DEFAULT '0', "first_action_met_at" TIMESTAMP WITH TIME ZONE, "resolution_due_at" TIMESTAMP WITH TIME ZONE NOT NULL, "resolution_at_risk_at" TIMESTAMP WITH TIME ZONE NOT NULL, "resolution_paused_ms" bigint NOT NULL DEFAULT '0', "resolution_met_at" TIMESTAMP WITH TIME ZONE, "sla_paused" boolean NOT NULL DEFAULT false, "sla_sort_at" TIMESTAMP WITH TIME ZONE NOT NULL, "sla_at_risk_at" TIMESTAMP WITH TIME ZONE, "next_sla_check_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_39babe074cbaa90750582bfc38d" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_interventions_resolved" ON "interventions" ("resolved_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_interventions_sla_check" ON "interventions" ("next_sla_check_at") WHERE next_sla_check_at IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_interventions_tutor_created" ON "interventions" ("tutor_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_interventions_assignee_queue" ON "interventions" ("assignee_user_id", "sla_sort_at", "id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_interventions_status_queue" ON "interventions" ("status", "sla_sort_at", "id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_interventions_queue" ON "interventions" ("sla_sort_at", "id") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_interventions_open_type" ON "interventions" ("tutor_id", "type") WHERE status IN ('open', 'assigned', 'in_progress', 'waiting')`,
    );
    await queryRunner.query(
      `CREATE TABLE "intervention_notes" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "intervention_id" uuid NOT NULL, "author_user_id" uuid, "body" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_cbc077b624e8fa827f555c7f07c" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_intervention_notes_intervention" ON "intervention_notes" ("intervention_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "intervention_sla_notices" ("intervention_id" uuid NOT NULL, "target" character varying(20) NOT NULL, "stage" character varying(20) NOT NULL, "recipients" integer NOT NULL, "sent_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_b8e878a4a4645dc21bf2442303b" PRIMARY KEY ("intervention_id", "target", "stage"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "intervention_transitions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "intervention_id" uuid NOT NULL, "from_status" character varying(20), "to_status" character varying(20) NOT NULL, "actor_user_id" uuid, "note" text, "at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_453119522f3d49344a6a7330d8e" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_intervention_transitions_intervention" ON "intervention_transitions" ("intervention_id", "at") `,
    );
    await queryRunner.query(
      `ALTER TABLE "intervention_config_versions" ADD CONSTRAINT "fk_intervention_config_creator" FOREIGN KEY ("created_by_user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "interventions" ADD CONSTRAINT "fk_interventions_tutor" FOREIGN KEY ("tutor_id") REFERENCES "tutors"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "interventions" ADD CONSTRAINT "fk_interventions_creator" FOREIGN KEY ("created_by_user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "interventions" ADD CONSTRAINT "fk_interventions_assignee" FOREIGN KEY ("assignee_user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "intervention_notes" ADD CONSTRAINT "fk_intervention_notes_intervention" FOREIGN KEY ("intervention_id") REFERENCES "interventions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "intervention_notes" ADD CONSTRAINT "fk_intervention_notes_author" FOREIGN KEY ("author_user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "intervention_sla_notices" ADD CONSTRAINT "fk_intervention_sla_notices_intervention" FOREIGN KEY ("intervention_id") REFERENCES "interventions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "intervention_transitions" ADD CONSTRAINT "fk_intervention_transitions_intervention" FOREIGN KEY ("intervention_id") REFERENCES "interventions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "intervention_transitions" ADD CONSTRAINT "fk_intervention_transitions_actor" FOREIGN KEY ("actor_user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "intervention_transitions" DROP CONSTRAINT "fk_intervention_transitions_actor"`,
    );
    await queryRunner.query(
      `ALTER TABLE "intervention_transitions" DROP CONSTRAINT "fk_intervention_transitions_intervention"`,
    );
    await queryRunner.query(
      `ALTER TABLE "intervention_sla_notices" DROP CONSTRAINT "fk_intervention_sla_notices_intervention"`,
    );
    await queryRunner.query(
      `ALTER TABLE "intervention_notes" DROP CONSTRAINT "fk_intervention_notes_author"`,
    );
    await queryRunner.query(
      `ALTER TABLE "intervention_notes" DROP CONSTRAINT "fk_intervention_notes_intervention"`,
    );
    await queryRunner.query(
      `ALTER TABLE "interventions" DROP CONSTRAINT "fk_interventions_assignee"`,
    );
    await queryRunner.query(
      `ALTER TABLE "interventions" DROP CONSTRAINT "fk_interventions_creator"`,
    );
    await queryRunner.query(`ALTER TABLE "interventions" DROP CONSTRAINT "fk_interventions_tutor"`);
    await queryRunner.query(
      `ALTER TABLE "intervention_config_versions" DROP CONSTRAINT "fk_intervention_config_creator"`,
    );
    await queryRunner.query(`DROP INDEX "public"."idx_intervention_transitions_intervention"`);
    await queryRunner.query(`DROP TABLE "intervention_transitions"`);
    await queryRunner.query(`DROP TABLE "intervention_sla_notices"`);
    await queryRunner.query(`DROP INDEX "public"."idx_intervention_notes_intervention"`);
    await queryRunner.query(`DROP TABLE "intervention_notes"`);
    await queryRunner.query(`DROP INDEX "public"."uq_interventions_open_type"`);
    await queryRunner.query(`DROP INDEX "public"."idx_interventions_queue"`);
    await queryRunner.query(`DROP INDEX "public"."idx_interventions_status_queue"`);
    await queryRunner.query(`DROP INDEX "public"."idx_interventions_assignee_queue"`);
    await queryRunner.query(`DROP INDEX "public"."idx_interventions_tutor_created"`);
    await queryRunner.query(`DROP INDEX "public"."idx_interventions_sla_check"`);
    await queryRunner.query(`DROP INDEX "public"."idx_interventions_resolved"`);
    await queryRunner.query(`DROP TABLE "interventions"`);
    await queryRunner.query(`DROP TABLE "intervention_config_versions"`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

export class WorkersAndPerformance1795659143691 implements MigrationInterface {
  name = 'WorkersAndPerformance1795659143691';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "tutor_metric_snapshots" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "tutor_id" uuid NOT NULL, "window_days" smallint NOT NULL, "snapshot_date" date NOT NULL, "reference_at" TIMESTAMP WITH TIME ZONE NOT NULL, "sessions_scheduled" integer NOT NULL, "sessions_completed" integer NOT NULL, "no_show_count" integer NOT NULL, "no_show_rate" real, "reschedule_count" integer NOT NULL, "reschedule_rate" real, "ratings_count" integer NOT NULL, "avg_rating" real, "first_sessions_rated" integer NOT NULL, "first_session_success_rate" real, "learning_objectives_met_rate" real, "session_engagement_mean" real, "on_time_rate" real, "login_count" integer NOT NULL, "teaching_days" integer NOT NULL, "login_ratio" real, "engagement_score" real, "response_count" integer NOT NULL, "response_time_avg_minutes" real, "green_flags" smallint, "red_flags" smallint, "performance_score" real, "performance_tier" character varying(20), "computed_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_5238e68a647ff161a69c2559da1" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_metric_snapshots_day_window" ON "tutor_metric_snapshots" ("snapshot_date", "window_days") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_metric_snapshots_tutor_window_day" ON "tutor_metric_snapshots" ("tutor_id", "window_days", "snapshot_date") `,
    );
    await queryRunner.query(
      `CREATE TABLE "tutor_metrics_triggers" ("event_id" uuid NOT NULL, "event_type" character varying(100) NOT NULL, "tutor_id" uuid NOT NULL, "record_id" uuid, "stored_at" TIMESTAMP WITH TIME ZONE NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "metrics_updated_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_dbf2d4eca6773d0b36ca85db439" PRIMARY KEY ("event_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_metrics_triggers_stored" ON "tutor_metrics_triggers" ("stored_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_metrics_triggers_record" ON "tutor_metrics_triggers" ("record_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_metrics_triggers_pending" ON "tutor_metrics_triggers" ("tutor_id") WHERE metrics_updated_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE TABLE "tutor_performance_tiers" ("tutor_id" uuid NOT NULL, "tier" character varying(20), "tier_since" date NOT NULL, "previous_tier" character varying(20), "evaluated_for" date NOT NULL, "performance_score" real, "green_flags" smallint NOT NULL, "red_flags" smallint NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_4361168034d70c3230af6f71217" PRIMARY KEY ("tutor_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_performance_tiers_tier" ON "tutor_performance_tiers" ("tier", "tier_since") `,
    );
    await queryRunner.query(`ALTER TABLE "outbox_events" ADD "failed_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "outbox_events" ADD "last_error" text`);
    await queryRunner.query(
      `ALTER TABLE "tutor_metric_snapshots" ADD CONSTRAINT "fk_metric_snapshots_tutor" FOREIGN KEY ("tutor_id") REFERENCES "tutors"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "tutor_metrics_triggers" ADD CONSTRAINT "fk_metrics_triggers_tutor" FOREIGN KEY ("tutor_id") REFERENCES "tutors"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "tutor_performance_tiers" ADD CONSTRAINT "fk_performance_tiers_tutor" FOREIGN KEY ("tutor_id") REFERENCES "tutors"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "tutor_performance_tiers" DROP CONSTRAINT "fk_performance_tiers_tutor"`,
    );
    await queryRunner.query(
      `ALTER TABLE "tutor_metrics_triggers" DROP CONSTRAINT "fk_metrics_triggers_tutor"`,
    );
    await queryRunner.query(
      `ALTER TABLE "tutor_metric_snapshots" DROP CONSTRAINT "fk_metric_snapshots_tutor"`,
    );
    await queryRunner.query(`ALTER TABLE "outbox_events" DROP COLUMN "last_error"`);
    await queryRunner.query(`ALTER TABLE "outbox_events" DROP COLUMN "failed_at"`);
    await queryRunner.query(`DROP INDEX "public"."idx_performance_tiers_tier"`);
    await queryRunner.query(`DROP TABLE "tutor_performance_tiers"`);
    await queryRunner.query(`DROP INDEX "public"."idx_metrics_triggers_pending"`);
    await queryRunner.query(`DROP INDEX "public"."idx_metrics_triggers_record"`);
    await queryRunner.query(`DROP INDEX "public"."idx_metrics_triggers_stored"`);
    await queryRunner.query(`DROP TABLE "tutor_metrics_triggers"`);
    await queryRunner.query(`DROP INDEX "public"."uq_metric_snapshots_tutor_window_day"`);
    await queryRunner.query(`DROP INDEX "public"."idx_metric_snapshots_day_window"`);
    await queryRunner.query(`DROP TABLE "tutor_metric_snapshots"`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

export class Prediction1795667724914 implements MigrationInterface {
  name = 'Prediction1795667724914';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "first_session_predictions" ("session_id" uuid NOT NULL, "tutor_id" uuid NOT NULL, "student_id" uuid NOT NULL, "scheduled_start" TIMESTAMP WITH TIME ZONE NOT NULL, "risk" real NOT NULL, "top_factors" jsonb NOT NULL, "model_version" character varying(80) NOT NULL, "scored_at" TIMESTAMP WITH TIME ZONE NOT NULL, "alert_queued_at" TIMESTAMP WITH TIME ZONE, "outcome_success" boolean, "outcome_recorded_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_dd3cc6a8a949701ed02ab00dc2f" PRIMARY KEY ("session_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_first_session_predictions_pending_outcome" ON "first_session_predictions" ("scored_at") WHERE outcome_success IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_first_session_predictions_tutor" ON "first_session_predictions" ("tutor_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "prediction_models" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "version" character varying(80) NOT NULL, "kind" character varying(20) NOT NULL, "window_days" integer NOT NULL, "status" character varying(12) NOT NULL, "algorithm" character varying(60) NOT NULL, "features" text array NOT NULL, "trained_from" date NOT NULL, "trained_to" date NOT NULL, "metrics" jsonb NOT NULL, "artifact" jsonb NOT NULL, "training_run_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "promoted_at" TIMESTAMP WITH TIME ZONE, "retired_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_de857a02cd642130291835be59e" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_prediction_models_version" ON "prediction_models" ("version") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_prediction_models_kind_created" ON "prediction_models" ("kind", "created_at") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_prediction_models_active" ON "prediction_models" ("kind", "window_days") WHERE status = 'active'`,
    );
    await queryRunner.query(
      `CREATE TABLE "training_runs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "status" character varying(12) NOT NULL, "trigger" character varying(60) NOT NULL, "stage" character varying(200) NOT NULL DEFAULT '', "progress" integer NOT NULL DEFAULT '0', "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, "peak_rss_mb" real, "result" jsonb, "error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_3f5056858e48ed5e97b4faaa05a" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_training_runs_created" ON "training_runs" ("created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "tutor_risk_scores" ("id" BIGSERIAL NOT NULL, "tutor_id" uuid NOT NULL, "as_of" date NOT NULL, "churn_score" real NOT NULL, "band" character varying(10) NOT NULL, "probabilities" jsonb NOT NULL, "top_factors" jsonb NOT NULL, "model_version" character varying(80) NOT NULL, "scored_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_fe3a6f0079b7232bb0b139e18b6" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_tutor_risk_scores_tutor_scored" ON "tutor_risk_scores" ("tutor_id", "scored_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "tutor_risk" ("tutor_id" uuid NOT NULL, "churn_score" real NOT NULL, "band" character varying(10) NOT NULL, "scored_score" real NOT NULL, "probabilities" jsonb NOT NULL, "top_factors" jsonb NOT NULL, "model_version" character varying(80) NOT NULL, "as_of" date NOT NULL, "scored_at" TIMESTAMP WITH TIME ZONE NOT NULL, "override_score" real, "override_reason" text, "override_expires_at" TIMESTAMP WITH TIME ZONE, "override_by_user_id" uuid, CONSTRAINT "PK_b1c17863e0e6707f75bf34d3484" PRIMARY KEY ("tutor_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_tutor_risk_score" ON "tutor_risk" ("churn_score") `);
    await queryRunner.query(
      `CREATE INDEX "idx_tutor_risk_band_score" ON "tutor_risk" ("band", "churn_score") `,
    );
    await queryRunner.query(
      `ALTER TABLE "tutors" ADD "profiling_objection" boolean NOT NULL DEFAULT false`,
    );
    await queryRunner.query(
      `ALTER TABLE "tutor_risk" ADD CONSTRAINT "fk_tutor_risk_tutor" FOREIGN KEY ("tutor_id") REFERENCES "tutors"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "tutor_risk" DROP CONSTRAINT "fk_tutor_risk_tutor"`);
    await queryRunner.query(`ALTER TABLE "tutors" DROP COLUMN "profiling_objection"`);
    await queryRunner.query(`DROP INDEX "public"."idx_tutor_risk_band_score"`);
    await queryRunner.query(`DROP INDEX "public"."idx_tutor_risk_score"`);
    await queryRunner.query(`DROP TABLE "tutor_risk"`);
    await queryRunner.query(`DROP INDEX "public"."idx_tutor_risk_scores_tutor_scored"`);
    await queryRunner.query(`DROP TABLE "tutor_risk_scores"`);
    await queryRunner.query(`DROP INDEX "public"."idx_training_runs_created"`);
    await queryRunner.query(`DROP TABLE "training_runs"`);
    await queryRunner.query(`DROP INDEX "public"."uq_prediction_models_active"`);
    await queryRunner.query(`DROP INDEX "public"."idx_prediction_models_kind_created"`);
    await queryRunner.query(`DROP INDEX "public"."uq_prediction_models_version"`);
    await queryRunner.query(`DROP TABLE "prediction_models"`);
    await queryRunner.query(`DROP INDEX "public"."idx_first_session_predictions_tutor"`);
    await queryRunner.query(`DROP INDEX "public"."idx_first_session_predictions_pending_outcome"`);
    await queryRunner.query(`DROP TABLE "first_session_predictions"`);
  }
}

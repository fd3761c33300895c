import { MigrationInterface, QueryRunner } from 'typeorm';

export class MonitoringAlerts1795669001080 implements MigrationInterface {
  name = 'MonitoringAlerts1795669001080';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "alert_events" ("id" BIGSERIAL NOT NULL, "rule" character varying(60) NOT NULL, "title" text NOT NULL, "status" character varying(10) NOT NULL, "severity" character varying(10) NOT NULL, "message" text NOT NULL, "value" double precision, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "notified" boolean NOT NULL, CONSTRAINT "PK_f8dd833a0534d3a01e8d01e3bca" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_alert_events_at" ON "alert_events" ("at") `);
    await queryRunner.query(
      `CREATE TABLE "alert_silences" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "rule" character varying(60) NOT NULL, "reason" text NOT NULL, "created_by_user_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "ended_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_0b3de53f7cdfac26d37720de79f" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_alert_silences_expires" ON "alert_silences" ("expires_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "api_latency_buckets" ("minute" TIMESTAMP WITH TIME ZONE NOT NULL, "le_ms" integer NOT NULL, "count" bigint NOT NULL, CONSTRAINT "PK_eefc2c82ccfce1ff6e276377335" PRIMARY KEY ("minute", "le_ms"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "alert_states" ADD "notified_status" character varying(10) NOT NULL DEFAULT 'ok'`,
    );
    // Alerts already firing were notified under the old scheme.
    await queryRunner.query(`UPDATE "alert_states" SET "notified_status" = "status"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "alert_states" DROP COLUMN "notified_status"`);
    await queryRunner.query(`DROP TABLE "api_latency_buckets"`);
    await queryRunner.query(`DROP INDEX "public"."idx_alert_silences_expires"`);
    await queryRunner.query(`DROP TABLE "alert_silences"`);
    await queryRunner.query(`DROP INDEX "public"."idx_alert_events_at"`);
    await queryRunner.query(`DROP TABLE "alert_events"`);
  }
}

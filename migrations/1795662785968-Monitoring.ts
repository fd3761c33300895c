import { MigrationInterface, QueryRunner } from 'typeorm';

export class Monitoring1795662785968 implements MigrationInterface {
  name = 'Monitoring1795662785968';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "alert_states" ("rule" character varying(60) NOT NULL, "status" character varying(10) NOT NULL, "severity" character varying(10) NOT NULL, "message" text NOT NULL, "value" double precision, "fired_at" TIMESTAMP WITH TIME ZONE, "resolved_at" TIMESTAMP WITH TIME ZONE, "evaluated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_9c9d5ff081a39085381c6ce5483" PRIMARY KEY ("rule"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "service_checks" ("id" BIGSERIAL NOT NULL, "service" character varying(40) NOT NULL, "checked_at" TIMESTAMP WITH TIME ZONE NOT NULL, "up" boolean NOT NULL, "latency_ms" integer, "detail" text, CONSTRAINT "PK_bdf5f3e4701fcecfd3c353f50a2" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_service_checks_time" ON "service_checks" ("checked_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_service_checks_service_time" ON "service_checks" ("service", "checked_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "service_incidents" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "service" character varying(40) NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "ended_at" TIMESTAMP WITH TIME ZONE, "cause" text, CONSTRAINT "PK_751bb1c6a9d8255b0d406a80642" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_service_incidents_started" ON "service_incidents" ("started_at") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_service_incidents_open" ON "service_incidents" ("service") WHERE ended_at IS NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."uq_service_incidents_open"`);
    await queryRunner.query(`DROP INDEX "public"."idx_service_incidents_started"`);
    await queryRunner.query(`DROP TABLE "service_incidents"`);
    await queryRunner.query(`DROP INDEX "public"."idx_service_checks_service_time"`);
    await queryRunner.query(`DROP INDEX "public"."idx_service_checks_time"`);
    await queryRunner.query(`DROP TABLE "service_checks"`);
    await queryRunner.query(`DROP TABLE "alert_states"`);
  }
}

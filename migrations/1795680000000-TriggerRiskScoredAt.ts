import { MigrationInterface, QueryRunner } from 'typeorm';

/** Insight latency's risk-scored hop: when a record's tutor was first scored after its metrics update. */
export class TriggerRiskScoredAt1795680000000 implements MigrationInterface {
  name = 'TriggerRiskScoredAt1795680000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "tutor_metrics_triggers" ADD "risk_scored_at" TIMESTAMP WITH TIME ZONE`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_metrics_triggers_unscored" ON "tutor_metrics_triggers" ("tutor_id") WHERE metrics_updated_at IS NOT NULL AND risk_scored_at IS NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_metrics_triggers_unscored"`);
    await queryRunner.query(`ALTER TABLE "tutor_metrics_triggers" DROP COLUMN "risk_scored_at"`);
  }
}

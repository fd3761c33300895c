import { MigrationInterface, QueryRunner } from 'typeorm';

/** The queue counters (open, at risk, breached, due, unassigned) as an index-only scan. */
export class InterventionOpenCounters1795679009003 implements MigrationInterface {
  name = 'InterventionOpenCounters1795679009003';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "idx_interventions_open_counters" ON "interventions" ("sla_sort_at", "sla_at_risk_at", "sla_paused", "assignee_user_id") WHERE status IN ('open', 'assigned', 'in_progress', 'waiting')`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_interventions_open_counters"`);
  }
}

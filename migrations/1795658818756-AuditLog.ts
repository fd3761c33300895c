import { MigrationInterface, QueryRunner } from 'typeorm';

export class AuditLog1795658818756 implements MigrationInterface {
  name = 'AuditLog1795658818756';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "audit_anchor" ("id" smallint NOT NULL, "seq" bigint NOT NULL, "hash" character(64) NOT NULL, "pruned_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_0ea407435eebceee6956a062dda" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "audit_log" ("seq" bigint NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "actor_type" character varying(20) NOT NULL, "actor_id" character varying(100), "action" character varying(100) NOT NULL, "resource_type" character varying(50), "resource_id" character varying(200), "request_id" character varying(100), "outcome" character varying(10) NOT NULL, "changed_fields" text array NOT NULL DEFAULT '{}', "details" jsonb NOT NULL DEFAULT '{}', "prev_hash" character(64) NOT NULL, "hash" character(64) NOT NULL, "ip_enc" text, "user_agent_enc" text, CONSTRAINT "PK_ce5b9b7d945cab0a6c604bafd9e" PRIMARY KEY ("seq"))`,
    );
    await queryRunner.query(`CREATE INDEX "idx_audit_log_request" ON "audit_log" ("request_id") `);
    await queryRunner.query(
      `CREATE INDEX "idx_audit_log_resource" ON "audit_log" ("resource_type", "resource_id", "seq") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_audit_log_action" ON "audit_log" ("action", "seq") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_audit_log_actor" ON "audit_log" ("actor_id", "seq") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_audit_log_occurred_at" ON "audit_log" ("occurred_at") `,
    );
    // Append-only, enforced by the database (written by hand; the hash chain detects what a superuser bypasses):
    // an UPDATE may change only the encrypted IP and user agent (outside the hash, so erasure can null them);
    // DELETE and anchor writes need the transaction-local setting only AuditService.prune sets.
    await queryRunner.query(`CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF current_setting('tutormax.audit_prune', true) = 'on' THEN RETURN OLD; END IF;
    RAISE EXCEPTION 'audit_log is append-only: rows are removed only by pruning';
  END IF;
  IF (to_jsonb(NEW) - 'ip_enc' - 'user_agent_enc') IS DISTINCT FROM (to_jsonb(OLD) - 'ip_enc' - 'user_agent_enc') THEN
    RAISE EXCEPTION 'audit_log is append-only: only ip_enc and user_agent_enc may change';
  END IF;
  RETURN NEW;
END $$`);
    await queryRunner.query(
      `CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON "audit_log" FOR EACH ROW EXECUTE FUNCTION audit_log_guard()`,
    );
    await queryRunner.query(`CREATE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'audit_anchor' AND current_setting('tutormax.audit_prune', true) = 'on' THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  RAISE EXCEPTION '% on % is refused: the audit log changes only through AuditService', TG_OP, TG_TABLE_NAME;
END $$`);
    await queryRunner.query(
      `CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON "audit_log" FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER audit_anchor_guard BEFORE INSERT OR UPDATE OR DELETE ON "audit_anchor" FOR EACH ROW EXECUTE FUNCTION audit_log_refuse()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER audit_anchor_no_truncate BEFORE TRUNCATE ON "audit_anchor" FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER audit_anchor_no_truncate ON "audit_anchor"`);
    await queryRunner.query(`DROP TRIGGER audit_anchor_guard ON "audit_anchor"`);
    await queryRunner.query(`DROP TRIGGER audit_log_no_truncate ON "audit_log"`);
    await queryRunner.query(`DROP TRIGGER audit_log_append_only ON "audit_log"`);
    await queryRunner.query(`DROP FUNCTION audit_log_refuse()`);
    await queryRunner.query(`DROP FUNCTION audit_log_guard()`);
    await queryRunner.query(`DROP INDEX "public"."idx_audit_log_occurred_at"`);
    await queryRunner.query(`DROP INDEX "public"."idx_audit_log_actor"`);
    await queryRunner.query(`DROP INDEX "public"."idx_audit_log_action"`);
    await queryRunner.query(`DROP INDEX "public"."idx_audit_log_resource"`);
    await queryRunner.query(`DROP INDEX "public"."idx_audit_log_request"`);
    await queryRunner.query(`DROP TABLE "audit_log"`);
    await queryRunner.query(`DROP TABLE "audit_anchor"`);
  }
}

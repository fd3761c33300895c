import { MigrationInterface, QueryRunner } from 'typeorm';

export class Compliance1795668041021 implements MigrationInterface {
  name = 'Compliance1795668041021';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "erasure_ledger" ("seq" BIGSERIAL NOT NULL, "request_id" uuid, "subject_user_id" uuid NOT NULL, "tutor_id" uuid, "student_id" uuid, "erased_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_3bc2b0f227941d0d272d7b3eec3" PRIMARY KEY ("seq"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "feedback_token_uses" ("token_hash" character varying(64) NOT NULL, "session_id" uuid NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_e313b8ccac20affaa3cdfe1e458" PRIMARY KEY ("token_hash"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "ferpa_disclosures" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "student_id" uuid NOT NULL, "recipient_user_id" uuid, "recipient" character varying(120) NOT NULL, "record_kind" character varying(40) NOT NULL, "basis" character varying(40) NOT NULL, "request_path" character varying(200), "disclosed_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_f78d585d5bbe26f1c30de94e71a" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_ferpa_disclosures_student" ON "ferpa_disclosures" ("student_id", "disclosed_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "gdpr_requests" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "subject_user_id" uuid NOT NULL, "kind" character varying(20) NOT NULL, "status" character varying(20) NOT NULL DEFAULT 'received', "details" jsonb NOT NULL DEFAULT '{}', "received_at" TIMESTAMP WITH TIME ZONE NOT NULL, "due_at" TIMESTAMP WITH TIME ZONE NOT NULL, "extended_at" TIMESTAMP WITH TIME ZONE, "extension_reason" character varying(500), "resolution" character varying(1000), "handled_by_user_id" uuid, "completed_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_e45b06ca7dd61ce128bb508e924" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_gdpr_requests_subject" ON "gdpr_requests" ("subject_user_id", "received_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_gdpr_requests_status_due" ON "gdpr_requests" ("status", "due_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "legal_holds" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "subject_user_id" uuid, "tutor_id" uuid, "student_id" uuid, "reason" character varying(500) NOT NULL, "placed_by_user_id" uuid, "released_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_bbe3e0c98678909493a90442dfb" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_legal_holds_user" ON "legal_holds" ("subject_user_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "privacy_consents" ("user_id" uuid NOT NULL, "purpose" character varying(20) NOT NULL, "granted" boolean NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_c4a4381e8e7d1839da81e78ddb2" PRIMARY KEY ("user_id", "purpose"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "student_privacy_settings" ("student_id" uuid NOT NULL, "directory_opt_out" boolean NOT NULL DEFAULT false, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_c386ef30df234a203515ad7b26c" PRIMARY KEY ("student_id"))`,
    );
    // Append-only, enforced by the database (written by hand): the disclosure log and the erasure
    // ledger are never updated; rows leave only through retention, which sets the transaction-local
    // tutormax.compliance_prune (the ledger never: a restore replays it).
    await queryRunner.query(`CREATE FUNCTION compliance_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'ferpa_disclosures' AND current_setting('tutormax.compliance_prune', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END $$`);
    await queryRunner.query(
      `CREATE TRIGGER ferpa_disclosures_append_only BEFORE UPDATE OR DELETE ON "ferpa_disclosures" FOR EACH ROW EXECUTE FUNCTION compliance_append_only()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER erasure_ledger_append_only BEFORE UPDATE OR DELETE ON "erasure_ledger" FOR EACH ROW EXECUTE FUNCTION compliance_append_only()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER ferpa_disclosures_no_truncate BEFORE TRUNCATE ON "ferpa_disclosures" FOR EACH STATEMENT EXECUTE FUNCTION compliance_append_only()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER erasure_ledger_no_truncate BEFORE TRUNCATE ON "erasure_ledger" FOR EACH STATEMENT EXECUTE FUNCTION compliance_append_only()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER erasure_ledger_no_truncate ON "erasure_ledger"`);
    await queryRunner.query(`DROP TRIGGER ferpa_disclosures_no_truncate ON "ferpa_disclosures"`);
    await queryRunner.query(`DROP TRIGGER erasure_ledger_append_only ON "erasure_ledger"`);
    await queryRunner.query(`DROP TRIGGER ferpa_disclosures_append_only ON "ferpa_disclosures"`);
    await queryRunner.query(`DROP FUNCTION compliance_append_only()`);
    await queryRunner.query(`DROP TABLE "student_privacy_settings"`);
    await queryRunner.query(`DROP TABLE "privacy_consents"`);
    await queryRunner.query(`DROP INDEX "public"."idx_legal_holds_user"`);
    await queryRunner.query(`DROP TABLE "legal_holds"`);
    await queryRunner.query(`DROP INDEX "public"."idx_gdpr_requests_status_due"`);
    await queryRunner.query(`DROP INDEX "public"."idx_gdpr_requests_subject"`);
    await queryRunner.query(`DROP TABLE "gdpr_requests"`);
    await queryRunner.query(`DROP INDEX "public"."idx_ferpa_disclosures_student"`);
    await queryRunner.query(`DROP TABLE "ferpa_disclosures"`);
    await queryRunner.query(`DROP TABLE "feedback_token_uses"`);
    await queryRunner.query(`DROP TABLE "erasure_ledger"`);
  }
}

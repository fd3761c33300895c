import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1795657493555 implements MigrationInterface {
  name = 'InitialSchema1795657493555';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "email" character varying(320) NOT NULL, "full_name" character varying(200) NOT NULL, "roles" character varying(30) array NOT NULL DEFAULT '{}', "is_active" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_users_email" ON "users" ("email") `);
    await queryRunner.query(
      `CREATE TABLE "students" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "external_id" character varying(100) NOT NULL, "name" character varying(200) NOT NULL, "birth_year" smallint NOT NULL, "birth_month" smallint NOT NULL, "grade_level" character varying(50), "email" character varying(320), "subjects_interested" text array NOT NULL DEFAULT '{}', "parent_email" character varying(320), "parent_consent_status" character varying(20) NOT NULL DEFAULT 'not_required', "parent_consent_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_7d7f07271ad4ce999880713f05e" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_students_external_id" ON "students" ("external_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "tutors" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "external_id" character varying(100) NOT NULL, "name" character varying(200) NOT NULL, "email" character varying(320) NOT NULL, "onboarding_date" date NOT NULL, "status" character varying(20) NOT NULL DEFAULT 'active', "subjects" text array NOT NULL, "education_level" character varying(100), "location" character varying(200), "baseline_sessions_per_week" real, "behavioral_archetype" character varying(30), "manager_user_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_bab3e19eb9a7a36a6a95377963b" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_tutors_external_id" ON "tutors" ("external_id") `,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_tutors_email" ON "tutors" ("email") `);
    await queryRunner.query(`CREATE INDEX "idx_tutors_manager" ON "tutors" ("manager_user_id") `);
    await queryRunner.query(
      `CREATE INDEX "idx_tutors_onboarding_status" ON "tutors" ("onboarding_date", "status") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_tutors_status_created" ON "tutors" ("status", "created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "sessions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "external_id" character varying(100) NOT NULL, "tutor_id" uuid NOT NULL, "student_id" uuid NOT NULL, "session_number" integer NOT NULL, "scheduled_start" TIMESTAMP WITH TIME ZONE NOT NULL, "actual_start" TIMESTAMP WITH TIME ZONE, "duration_minutes" smallint NOT NULL, "subject" character varying(100) NOT NULL, "session_type" character varying(20) NOT NULL DEFAULT '1-on-1', "status" character varying(20) NOT NULL, "tutor_initiated_reschedule" boolean NOT NULL DEFAULT false, "late_start_minutes" smallint NOT NULL DEFAULT '0', "engagement_score" real, "learning_objectives_met" boolean, "technical_issues" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_3238ef96f18b355b671619111bc" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_sessions_external_id" ON "sessions" ("external_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_sessions_first" ON "sessions" ("tutor_id", "scheduled_start") WHERE session_number = 1`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_sessions_completed" ON "sessions" ("tutor_id", "scheduled_start") WHERE status = 'completed'`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_sessions_pair" ON "sessions" ("tutor_id", "student_id", "scheduled_start") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_sessions_student_start" ON "sessions" ("student_id", "scheduled_start") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_sessions_tutor_start" ON "sessions" ("tutor_id", "scheduled_start") `,
    );
    await queryRunner.query(
      `CREATE TABLE "student_feedback" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "external_id" character varying(100) NOT NULL, "session_id" uuid NOT NULL, "student_id" uuid NOT NULL, "tutor_id" uuid NOT NULL, "overall_rating" smallint NOT NULL, "subject_knowledge_rating" smallint, "communication_rating" smallint, "patience_rating" smallint, "engagement_rating" smallint, "helpfulness_rating" smallint, "would_recommend" boolean, "work_again" character varying(20), "improvement_areas" text array NOT NULL DEFAULT '{}', "free_text" text, "submitted_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_62d4a9be66752e38bd228a78223" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_feedback_external_id" ON "student_feedback" ("external_id") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_feedback_session" ON "student_feedback" ("session_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_feedback_student" ON "student_feedback" ("student_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_feedback_low_rating" ON "student_feedback" ("overall_rating", "submitted_at") WHERE overall_rating <= 3`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_feedback_tutor_submitted" ON "student_feedback" ("tutor_id", "submitted_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "tutor_events" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "external_id" character varying(100) NOT NULL, "tutor_id" uuid NOT NULL, "event_type" character varying(40) NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "response_minutes" real, "metadata" jsonb NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5af32e8d70a43bf6969776da421" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_tutor_events_external_id" ON "tutor_events" ("external_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_tutor_events_type_time" ON "tutor_events" ("event_type", "occurred_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_tutor_events_tutor_time" ON "tutor_events" ("tutor_id", "occurred_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "outbox_events" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "event_type" character varying(100) NOT NULL, "payload" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "published_at" TIMESTAMP WITH TIME ZONE, "attempts" integer NOT NULL DEFAULT '0', CONSTRAINT "PK_6689a16c00d09b8089f6237f1d2" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_outbox_unpublished" ON "outbox_events" ("created_at") WHERE published_at IS NULL`,
    );
    await queryRunner.query(
      `ALTER TABLE "tutors" ADD CONSTRAINT "fk_tutors_manager" FOREIGN KEY ("manager_user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "sessions" ADD CONSTRAINT "fk_sessions_tutor" FOREIGN KEY ("tutor_id") REFERENCES "tutors"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "sessions" ADD CONSTRAINT "fk_sessions_student" FOREIGN KEY ("student_id") REFERENCES "students"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "student_feedback" ADD CONSTRAINT "fk_feedback_session" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "student_feedback" ADD CONSTRAINT "fk_feedback_student" FOREIGN KEY ("student_id") REFERENCES "students"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "student_feedback" ADD CONSTRAINT "fk_feedback_tutor" FOREIGN KEY ("tutor_id") REFERENCES "tutors"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "tutor_events" ADD CONSTRAINT "fk_tutor_events_tutor" FOREIGN KEY ("tutor_id") REFERENCES "tutors"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "tutor_events" DROP CONSTRAINT "fk_tutor_events_tutor"`);
    await queryRunner.query(`ALTER TABLE "student_feedback" DROP CONSTRAINT "fk_feedback_tutor"`);
    await queryRunner.query(`ALTER TABLE "student_feedback" DROP CONSTRAINT "fk_feedback_student"`);
    await queryRunner.query(`ALTER TABLE "student_feedback" DROP CONSTRAINT "fk_feedback_session"`);
    await queryRunner.query(`ALTER TABLE "sessions" DROP CONSTRAINT "fk_sessions_student"`);
    await queryRunner.query(`ALTER TABLE "sessions" DROP CONSTRAINT "fk_sessions_tutor"`);
    await queryRunner.query(`ALTER TABLE "tutors" DROP CONSTRAINT "fk_tutors_manager"`);
    await queryRunner.query(`DROP INDEX "public"."idx_outbox_unpublished"`);
    await queryRunner.query(`DROP TABLE "outbox_events"`);
    await queryRunner.query(`DROP INDEX "public"."idx_tutor_events_tutor_time"`);
    await queryRunner.query(`DROP INDEX "public"."idx_tutor_events_type_time"`);
    await queryRunner.query(`DROP INDEX "public"."uq_tutor_events_external_id"`);
    await queryRunner.query(`DROP TABLE "tutor_events"`);
    await queryRunner.query(`DROP INDEX "public"."idx_feedback_tutor_submitted"`);
    await queryRunner.query(`DROP INDEX "public"."idx_feedback_low_rating"`);
    await queryRunner.query(`DROP INDEX "public"."idx_feedback_student"`);
    await queryRunner.query(`DROP INDEX "public"."uq_feedback_session"`);
    await queryRunner.query(`DROP INDEX "public"."uq_feedback_external_id"`);
    await queryRunner.query(`DROP TABLE "student_feedback"`);
    await queryRunner.query(`DROP INDEX "public"."idx_sessions_tutor_start"`);
    await queryRunner.query(`DROP INDEX "public"."idx_sessions_student_start"`);
    await queryRunner.query(`DROP INDEX "public"."idx_sessions_pair"`);
    await queryRunner.query(`DROP INDEX "public"."idx_sessions_completed"`);
    await queryRunner.query(`DROP INDEX "public"."idx_sessions_first"`);
    await queryRunner.query(`DROP INDEX "public"."uq_sessions_external_id"`);
    await queryRunner.query(`DROP TABLE "sessions"`);
    await queryRunner.query(`DROP INDEX "public"."idx_tutors_status_created"`);
    await queryRunner.query(`DROP INDEX "public"."idx_tutors_onboarding_status"`);
    await queryRunner.query(`DROP INDEX "public"."idx_tutors_manager"`);
    await queryRunner.query(`DROP INDEX "public"."uq_tutors_email"`);
    await queryRunner.query(`DROP INDEX "public"."uq_tutors_external_id"`);
    await queryRunner.query(`DROP TABLE "tutors"`);
    await queryRunner.query(`DROP INDEX "public"."uq_students_external_id"`);
    await queryRunner.query(`DROP TABLE "students"`);
    await queryRunner.query(`DROP INDEX "public"."uq_users_email"`);
    await queryRunner.query(`DROP TABLE "users"`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

export class Notifications1795662997084 implements MigrationInterface {
  name = 'Notifications1795662997084';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "in_app_notifications" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "message_id" uuid, "title" character varying(300) NOT NULL, "body" text NOT NULL, "url" character varying(500), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "read_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_f871e2a23724692bbb5b3b75c98" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_in_app_notifications_unread" ON "in_app_notifications" ("user_id") WHERE read_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_in_app_notifications_user_created" ON "in_app_notifications" ("user_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "notification_messages" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "workflow" character varying(60) NOT NULL, "entity_key" character varying(200) NOT NULL, "category" character varying(30) NOT NULL, "template" character varying(60) NOT NULL, "recipient_kind" character varying(10) NOT NULL, "recipient_id" uuid NOT NULL, "recipient_email" text NOT NULL, "context" text NOT NULL, "status" character varying(12) NOT NULL DEFAULT 'queued', "attempts" integer NOT NULL DEFAULT '0', "last_error" text, "smtp_message_id" character varying(300), "eml_file" character varying(300), "queued_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "sent_at" TIMESTAMP WITH TIME ZONE, "failed_at" TIMESTAMP WITH TIME ZONE, "opened_at" TIMESTAMP WITH TIME ZONE, "first_clicked_at" TIMESTAMP WITH TIME ZONE, "click_count" integer NOT NULL DEFAULT '0', CONSTRAINT "PK_025a03ac35a495f0a6d8730350d" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_notification_messages_queued_at" ON "notification_messages" ("queued_at") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_notification_messages_workflow_entity" ON "notification_messages" ("workflow", "entity_key") `,
    );
    await queryRunner.query(
      `CREATE TABLE "notification_preferences" ("recipient_kind" character varying(10) NOT NULL, "recipient_id" uuid NOT NULL, "category" character varying(30) NOT NULL, "unsubscribed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_99f95d4b3aa4a809f1305ecaaf2" PRIMARY KEY ("recipient_kind", "recipient_id", "category"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "in_app_notifications" ADD CONSTRAINT "fk_in_app_notifications_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "in_app_notifications" DROP CONSTRAINT "fk_in_app_notifications_user"`,
    );
    await queryRunner.query(`DROP TABLE "notification_preferences"`);
    await queryRunner.query(`DROP INDEX "public"."uq_notification_messages_workflow_entity"`);
    await queryRunner.query(`DROP INDEX "public"."idx_notification_messages_queued_at"`);
    await queryRunner.query(`DROP TABLE "notification_messages"`);
    await queryRunner.query(`DROP INDEX "public"."idx_in_app_notifications_user_created"`);
    await queryRunner.query(`DROP INDEX "public"."idx_in_app_notifications_unread"`);
    await queryRunner.query(`DROP TABLE "in_app_notifications"`);
  }
}

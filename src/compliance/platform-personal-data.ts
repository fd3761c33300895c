import { existsSync, rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { EntityManager } from 'typeorm';
import type { FieldCipher } from '../security/field-cipher';
import type { DataSubject, ExportedTable, PersonalDataHandler } from './personal-data-registry';

/*
 * Personal-data handlers for tables whose modules do not (yet) register their
 * own: accounts (auth), notifications, churn scores (prediction, read and
 * deleted here by SQL so compliance need not import those modules), and the
 * audit log's client data. Each reads and writes only its tables.
 */

const rows = async (m: EntityManager, sql: string, params: unknown[]): Promise<ExportedTable> =>
  (await m.query(sql, params)) as ExportedTable;

/** users, user_identities, refresh/one-time tokens, privacy consents. */
export function accountPersonalData(): PersonalDataHandler {
  return {
    name: 'accounts',
    async export(s, m): Promise<Record<string, ExportedTable>> {
      if (!s.userId) return {};
      return {
        account: await rows(
          m,
          'SELECT id, email, full_name, roles, is_active, tutor_id, student_id, last_login_at, created_at FROM users WHERE id = $1',
          [s.userId],
        ),
        sign_in_identities: await rows(
          m,
          'SELECT provider, email, created_at FROM user_identities WHERE user_id = $1',
          [s.userId],
        ),
        privacy_consents: await rows(
          m,
          'SELECT purpose, granted, updated_at FROM privacy_consents WHERE user_id = $1',
          [s.userId],
        ),
      };
    },
    async erase(s, m): Promise<Record<string, number>> {
      if (!s.userId) return {};
      const [, users] = (await m.query(
        `UPDATE users SET email = 'erased-' || id || '@erased.invalid', full_name = 'Erased user',
                is_active = false, password_hash = NULL, session_version = session_version + 1, updated_at = now()
          WHERE id = $1`,
        [s.userId],
      )) as [unknown, number];
      const counts: Record<string, number> = { users };
      for (const table of ['user_identities', 'refresh_tokens', 'one_time_tokens']) {
        const [, n] = (await m.query(`DELETE FROM ${table} WHERE user_id = $1`, [s.userId])) as [
          unknown,
          number,
        ];
        counts[table] = n;
      }
      return counts;
    },
  };
}

/** The message log (encrypted addresses and contexts, .eml copies), in-app notifications, preferences. */
export function notificationPersonalData(
  cipher: FieldCipher,
  mailDir: string,
): PersonalDataHandler {
  const recipientIds = (s: DataSubject) =>
    [s.userId, s.tutorId, s.studentId].filter((x): x is string => !!x);
  return {
    name: 'notifications',
    async export(s, m): Promise<Record<string, ExportedTable>> {
      const ids = recipientIds(s);
      if (!ids.length) return {};
      const messages: { recipient_email: string; [k: string]: unknown }[] = await m.query(
        `SELECT id, workflow, template, category, recipient_kind, recipient_email, status, queued_at, sent_at
           FROM notification_messages WHERE recipient_id = ANY($1::uuid[]) ORDER BY queued_at`,
        [ids],
      );
      return {
        emails_sent: messages.map((r) => ({
          ...r,
          recipient_email: cipher.isEncrypted(r.recipient_email)
            ? cipher.decrypt(r.recipient_email)
            : r.recipient_email,
        })),
        in_app_notifications: s.userId
          ? await rows(
              m,
              'SELECT title, body, url, created_at, read_at FROM in_app_notifications WHERE user_id = $1',
              [s.userId],
            )
          : [],
        email_preferences: await rows(
          m,
          'SELECT recipient_kind, category, unsubscribed_at FROM notification_preferences WHERE recipient_id = ANY($1::uuid[])',
          [ids],
        ),
      };
    },
    async erase(s, m): Promise<Record<string, number>> {
      const ids = recipientIds(s);
      if (!ids.length) return {};
      const files: { eml_file: string | null }[] = await m.query(
        'SELECT eml_file FROM notification_messages WHERE recipient_id = ANY($1::uuid[]) AND eml_file IS NOT NULL',
        [ids],
      );
      for (const { eml_file } of files) {
        const path = isAbsolute(eml_file!) ? eml_file! : join(mailDir, eml_file!);
        if (existsSync(path)) rmSync(path, { force: true });
      }
      const [, messages] = (await m.query(
        `UPDATE notification_messages SET recipient_email = $2, context = $3, eml_file = NULL
          WHERE recipient_id = ANY($1::uuid[])`,
        [ids, cipher.encrypt('erased@erased.invalid'), cipher.encrypt('{}')],
      )) as [unknown, number];
      const [, inApp] = s.userId
        ? ((await m.query('DELETE FROM in_app_notifications WHERE user_id = $1', [s.userId])) as [
            unknown,
            number,
          ])
        : [null, 0];
      return { notification_messages: messages, in_app_notifications: inApp };
    },
  };
}

/** Churn scores (current and history) and first-session risk: exported; deleted on erasure and objection. */
export function predictionPersonalData(): PersonalDataHandler {
  const remove = async (s: DataSubject, m: EntityManager): Promise<Record<string, number>> => {
    if (!s.tutorId) return {};
    const [, current] = (await m.query('DELETE FROM tutor_risk WHERE tutor_id = $1', [
      s.tutorId,
    ])) as [unknown, number];
    const [, history] = (await m.query('DELETE FROM tutor_risk_scores WHERE tutor_id = $1', [
      s.tutorId,
    ])) as [unknown, number];
    return { tutor_risk: current, tutor_risk_scores: history };
  };
  return {
    name: 'prediction',
    async export(s, m): Promise<Record<string, ExportedTable>> {
      if (!s.tutorId) return {};
      return {
        churn_risk_current: await rows(
          m,
          'SELECT churn_score, band, scored_score, override_score, override_reason, top_factors, probabilities, model_version, as_of, scored_at FROM tutor_risk WHERE tutor_id = $1',
          [s.tutorId],
        ),
        churn_risk_history: await rows(
          m,
          'SELECT churn_score, band, top_factors, probabilities, model_version, as_of, scored_at FROM tutor_risk_scores WHERE tutor_id = $1 ORDER BY as_of',
          [s.tutorId],
        ),
        first_session_risk: await rows(
          m,
          'SELECT session_id, scheduled_start, risk, top_factors, model_version, scored_at FROM first_session_predictions WHERE tutor_id = $1 ORDER BY scheduled_start',
          [s.tutorId],
        ),
      };
    },
    erase: remove,
    objectToProfiling: remove,
  };
}

/** The audit log: the subject's own actions are exported; their IPs and user agents erased (the chain stays). */
export function auditPersonalData(): PersonalDataHandler {
  return {
    name: 'audit',
    async export(s, m): Promise<Record<string, ExportedTable>> {
      if (!s.userId) return {};
      return {
        audit_log_own_actions: await rows(
          m,
          'SELECT seq, occurred_at, action, resource_type, resource_id, outcome FROM audit_log WHERE actor_id = $1 ORDER BY seq',
          [s.userId],
        ),
      };
    },
    async erase(s, m): Promise<Record<string, number>> {
      if (!s.userId) return {};
      const [, n] = (await m.query(
        `UPDATE audit_log SET ip_enc = NULL, user_agent_enc = NULL
          WHERE actor_id = $1 AND (ip_enc IS NOT NULL OR user_agent_enc IS NOT NULL)`,
        [s.userId],
      )) as [unknown, number];
      return { audit_log_client_data: n };
    },
  };
}

/** The handlers the platform tables need, in erasure order. */
export function platformPersonalData(cipher: FieldCipher, mailDir: string): PersonalDataHandler[] {
  return [
    accountPersonalData(),
    notificationPersonalData(cipher, mailDir),
    predictionPersonalData(),
    auditPersonalData(),
  ];
}

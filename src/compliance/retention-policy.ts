/**
 * The one retention policy (issue 7), in code and shown on /compliance/retention.
 * A legal hold on a subject suspends every class for that subject.
 */
export interface RetentionClass {
  key: string;
  data: string;
  keep: string;
  /** Days from the `from` event; null: at once. */
  days: number | null;
  from: string;
  action: 'archive then delete' | 'anonymise' | 'delete';
}

export const RETENTION_POLICY: readonly RetentionClass[] = [
  {
    key: 'education_records',
    data: 'Education records: the student record, sessions, feedback, first-session scores, parental consent and privacy settings. Moved to the archive as compressed JSON (an admin can restore them; a restored student is not archived again for 90 days)',
    keep: '7 years',
    days: 2555,
    from: 'last activity',
    action: 'archive then delete',
  },
  {
    key: 'education_archive',
    data: 'Archived education records (10 years after last activity in all)',
    keep: '3 years in the archive',
    days: 1095,
    from: 'archiving',
    action: 'delete',
  },
  {
    key: 'inactive_personal_data',
    data: 'Personal data of inactive tutors, students and user accounts (names, emails, upstream ids, comments; ratings and counts kept)',
    keep: '3 years',
    days: 1095,
    from: 'last activity',
    action: 'anonymise',
  },
  {
    key: 'audit_log',
    data: 'Audit log (pruned oldest first; the last pruned hash stays as the anchor the chain is verified from; a legal hold keeps the log from its first row about the held person)',
    keep: '7 years',
    days: 2555,
    from: 'the event',
    action: 'delete',
  },
  {
    key: 'health_checks',
    data: 'Uptime and health checks',
    keep: '30 days',
    days: 30,
    from: 'the check',
    action: 'delete',
  },
  {
    key: 'message_log',
    data: 'Email tracking and the message log',
    keep: '90 days',
    days: 90,
    from: 'sending',
    action: 'delete',
  },
  {
    key: 'outbox_sent',
    data: 'Sent outbox events',
    keep: '7 days',
    days: 7,
    from: 'publishing',
    action: 'delete',
  },
  {
    key: 'expired_tokens',
    data: 'Expired or used tokens (sign-in, invitations, parent links, feedback links)',
    keep: 'none',
    days: null,
    from: 'expiry',
    action: 'delete',
  },
  {
    key: 'metrics_and_scores',
    data: 'Metric snapshots and churn scores',
    keep: '2 years',
    days: 730,
    from: 'the snapshot',
    action: 'delete',
  },
  {
    key: 'coppa_unverified',
    data: 'Under-13 students without verified parental consent',
    keep: '30 days',
    days: 30,
    from: 'creation',
    action: 'anonymise',
  },
];

/**
 * The audit log's vocabulary, in one place. Actions are `<area>.<verb>`; the
 * interceptor writes `http.<method>` for mutating requests and
 * `<subject>_records.read` for audited reads; everything else is recorded
 * explicitly by the module that does the work.
 */
export const AUDIT_ACTIONS = {
  /** A successful password sign-in (JSON or browser). */
  signIn: 'auth.sign_in',
  /** A refused sign-in: unknown email, wrong password, inactive user. */
  signInFailed: 'auth.sign_in_failed',
  /** An account locked for an IP after repeated failures. */
  lockout: 'auth.lockout',
  /** Sign-out, or a refresh-token family revoked. */
  signOut: 'auth.sign_out',
  /** Refresh token rotated. */
  tokenRefreshed: 'auth.token_refreshed',
  /** A reused refresh token: its whole family is revoked. */
  refreshReuse: 'auth.refresh_reuse',
  /** Google or Microsoft identity linked to a user on first SSO sign-in. */
  ssoLinked: 'auth.sso_linked',
  /** An SSO sign-in (success, or refused with outcome failure). */
  ssoSignIn: 'auth.sso_sign_in',
  /** A password reset link requested. */
  passwordResetRequested: 'auth.password_reset_requested',
  /** A password set through a reset link. */
  passwordReset: 'auth.password_reset',
  /** A password changed by its owner. */
  passwordChanged: 'auth.password_changed',
  /** A user invited or created. */
  userCreated: 'user.created',
  /** Roles of a user changed (details: added, removed role names). */
  rolesChanged: 'user.roles_changed',
  userDeactivated: 'user.deactivated',
  userReactivated: 'user.reactivated',
  apiKeyCreated: 'api_key.created',
  apiKeyRevoked: 'api_key.revoked',
  /** Audit log rows deleted by retention; details carry the new anchor. */
  auditPruned: 'audit.pruned',
  /** An audit export was started (details: format and filter names). */
  auditExported: 'audit.exported',
} as const;

export type KnownAuditAction = (typeof AUDIT_ACTIONS)[keyof typeof AUDIT_ACTIONS];

/** `http.post`, `http.put`, `http.patch`, `http.delete`: written by the interceptor. */
export const httpAction = (method: string) => `http.${method.toLowerCase()}`;

/** `student_records.read`: an audited read of a data subject's records. */
export const readAction = (subject: string) => `${subject}_records.read`;

export const ACTOR_TYPES = ['user', 'api-key', 'system', 'anonymous'] as const;
export type AuditActorType = (typeof ACTOR_TYPES)[number];

export const AUDIT_OUTCOMES = ['success', 'failure', 'denied'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** 2xx/3xx succeeded, 401/403 were refused, anything else failed. */
export function outcomeOfStatus(status: number): AuditOutcome {
  if (status < 400) return 'success';
  if (status === 401 || status === 403) return 'denied';
  return 'failure';
}

/**
 * The audit log's encrypted client data, for `npm run encryption:rotate`. These
 * columns are outside the hash, and the append-only trigger lets exactly them change.
 */
export const AUDIT_ENCRYPTED_COLUMNS: { table: string; column: string; key: 'seq' }[] = [
  { table: 'audit_log', column: 'ip_enc', key: 'seq' },
  { table: 'audit_log', column: 'user_agent_enc', key: 'seq' },
];

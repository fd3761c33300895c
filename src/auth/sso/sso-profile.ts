import type { SsoProvider } from '../entities/user-identity.entity';

export type { SsoProvider };

export const SSO_PROVIDERS: readonly SsoProvider[] = ['google', 'microsoft'];

export const PROVIDER_LABELS: Record<SsoProvider, string> = {
  google: 'Google',
  microsoft: 'Microsoft',
};

/**
 * Who the provider says signed in, reduced to what the linking rules need.
 * Built from Google's userinfo response or Microsoft's ID token.
 */
export interface SsoProfile {
  provider: SsoProvider;
  /** Stable and never reassigned: Google `sub`, Microsoft `oid`. */
  subject: string;
  /** Lower-cased; null when the provider sent none. */
  email: string | null;
  /**
   * Whether the provider vouches for the email: Google's `email_verified`;
   * Microsoft asserts no such claim, so its email is trusted only from an
   * allowed tenant (checked separately) unless `xms_edov` says otherwise.
   */
  emailVerified: boolean;
  displayName: string | null;
  /** Microsoft only: the directory the user signed in to (`tid`). */
  tenantId?: string;
}

/** Everything that can stop an SSO sign-in, each with its own page. */
export type SsoProblem =
  | 'not_configured'
  | 'incomplete'
  | 'state_unknown'
  | 'state_browser'
  | 'cancelled'
  | 'provider_error'
  | 'unavailable'
  | 'no_email'
  | 'unverified'
  | 'tenant_not_allowed'
  | 'unknown_email'
  | 'deactivated'
  | 'no_role'
  | 'linked_elsewhere';

/** What a strategy reports through `fail()` when the state or the claims are not acceptable. */
export interface SsoFailureInfo {
  problem: SsoProblem;
  message?: string;
}

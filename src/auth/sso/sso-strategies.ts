import type { Request } from 'express';
import type { Strategy } from 'passport';
import { Strategy as GoogleStrategy } from 'passport-google-oauth20';
import { Strategy as MicrosoftStrategy } from 'passport-microsoft';
import type { StateStore, VerifyCallback } from 'passport-oauth2';
import { stripHtml } from '../../security/plain-text';
import { normaliseEmail } from '../users.service';
import type { SsoFailureInfo, SsoProfile } from './sso-profile';
import type { RedisSsoStateStore } from './sso-state.store';

/** The scopes both providers are asked for: an OIDC sign-in with email and name. */
export const SSO_SCOPES = ['openid', 'email', 'profile'];

export interface StrategySettings {
  clientId: string;
  clientSecret: string;
  callbackUrl: string;
  authorizationUrl: string;
  tokenUrl: string;
  store: RedisSsoStateStore;
}

type Claims = Record<string, unknown>;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** Tolerance for clocks that disagree a little. */
const CLOCK_SKEW_SECONDS = 300;

/**
 * Google: passport-google-oauth20 with PKCE (S256) and our Redis state store;
 * the profile comes from the OIDC userinfo endpoint (sub, email,
 * email_verified, name), called with the access token in the Authorization
 * header rather than the query string.
 */
export function googleStrategy(settings: StrategySettings & { userInfoUrl: string }): Strategy {
  const strategy = new GoogleStrategy(
    {
      clientID: settings.clientId,
      clientSecret: settings.clientSecret,
      callbackURL: settings.callbackUrl,
      authorizationURL: settings.authorizationUrl,
      tokenURL: settings.tokenUrl,
      userProfileURL: settings.userInfoUrl,
      scope: SSO_SCOPES,
      pkce: true,
      store: settings.store as unknown as StateStore,
      passReqToCallback: true,
    },
    // Six parameters: passport-oauth2 picks the verify signature by arity.
    (
      _req: Request,
      _accessToken: string,
      _refreshToken: string,
      _params: unknown,
      profile: { _json?: Claims },
      done: VerifyCallback,
    ) => finish(googleProfile(profile?._json ?? {}), done),
  );
  oauth2Of(strategy).useAuthorizationHeaderforGET(true);
  return strategy;
}

/**
 * Microsoft: passport-microsoft (Entra ID v2.0 endpoints) with PKCE (S256) and
 * our Redis state store. The user is read from the ID token the token
 * endpoint returns, as Microsoft recommends over its UserInfo endpoint (the ID
 * token is a superset of it and carries `tid` and `oid`, which UserInfo and
 * Graph `/me` do not); the Graph profile call is skipped.
 */
export function microsoftStrategy(settings: StrategySettings): Strategy {
  const issuerOrigin = new URL(settings.tokenUrl).origin;
  return new MicrosoftStrategy(
    {
      clientID: settings.clientId,
      clientSecret: settings.clientSecret,
      callbackURL: settings.callbackUrl,
      authorizationURL: settings.authorizationUrl,
      tokenURL: settings.tokenUrl,
      scope: SSO_SCOPES,
      pkce: true,
      store: settings.store as unknown as StateStore,
      skipUserProfile: true,
      passReqToCallback: true,
    },
    (
      _req: Request,
      _accessToken: string,
      _refreshToken: string,
      params: { id_token?: unknown },
      _profile: unknown,
      done: VerifyCallback,
    ) =>
      finish(
        microsoftProfile(params?.id_token, {
          clientId: settings.clientId,
          issuerOrigin,
          now: Date.now(),
        }),
        done,
      ),
  );
}

function finish(result: SsoProfile | SsoFailureInfo, done: VerifyCallback): void {
  if ('problem' in result) done(null, false, result);
  else done(null, result as unknown as Express.User);
}

function oauth2Of(strategy: Strategy): { useAuthorizationHeaderforGET(use: boolean): void } {
  return (strategy as unknown as { _oauth2: { useAuthorizationHeaderforGET(u: boolean): void } })
    ._oauth2;
}

/** Google's userinfo response → profile. `email_verified` must be exactly true. */
export function googleProfile(json: Claims): SsoProfile | SsoFailureInfo {
  const subject = text(json.sub, 255);
  if (!subject) return { problem: 'provider_error', message: 'Google sent no subject (sub)' };
  const email = emailOf(json.email);
  return {
    provider: 'google',
    subject,
    email,
    emailVerified:
      email !== null && (json.email_verified === true || json.email_verified === 'true'),
    displayName: displayName(json.name),
  };
}

/**
 * Microsoft's ID token → profile. The token comes straight from the token
 * endpoint over TLS in exchange for our code, client secret and PKCE
 * verifier, so, as OpenID Connect Core §3.1.3.7 (6) allows, TLS stands in for
 * checking its signature; its claims are still checked: `aud` is our client
 * id, it has not expired, and `iss` is the issuer of the tenant in `tid`
 * (`<token endpoint origin>/<tid>/v2.0`). The subject is `oid`, the user's
 * immutable object id in that tenant, which survives a change of app
 * registration (`sub` is pairwise per client id). The email is `email`, else
 * `preferred_username` when it is an address; Entra does not mark emails as
 * verified, so it is trusted only from an allowed tenant, and not when the
 * optional `xms_edov` claim says the domain owner is unverified.
 */
export function microsoftProfile(
  idToken: unknown,
  expected: { clientId: string; issuerOrigin: string; now: number },
): SsoProfile | SsoFailureInfo {
  const claims = typeof idToken === 'string' ? decodeJwtPayload(idToken) : undefined;
  if (!claims) return { problem: 'provider_error', message: 'Microsoft sent no usable ID token' };
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(expected.clientId))
    return { problem: 'provider_error', message: 'The ID token was issued to another application' };
  if (typeof claims.exp !== 'number' || claims.exp + CLOCK_SKEW_SECONDS < expected.now / 1000)
    return { problem: 'provider_error', message: 'The ID token has expired' };
  const tenantId = text(claims.tid, 100);
  const subject = text(claims.oid, 255);
  if (!tenantId || !subject)
    return { problem: 'provider_error', message: 'The ID token carries no tid or oid' };
  if (claims.iss !== `${expected.issuerOrigin}/${tenantId}/v2.0`)
    return { problem: 'provider_error', message: 'The ID token was not issued by its tenant' };
  const email = emailOf(claims.email) ?? emailOf(claims.preferred_username);
  return {
    provider: 'microsoft',
    subject,
    email,
    emailVerified: email !== null && claims.xms_edov !== false && claims.xms_edov !== 'false',
    displayName: displayName(claims.name),
    tenantId: tenantId.toLowerCase(),
  };
}

export function decodeJwtPayload(token: string): Claims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return payload && typeof payload === 'object' && !Array.isArray(payload)
      ? (payload as Claims)
      : undefined;
  } catch {
    return undefined;
  }
}

function text(value: unknown, max: number): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : null;
}

function emailOf(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const email = normaliseEmail(value);
  return email.length <= 320 && EMAIL.test(email) ? email : null;
}

/** A display name as plain text (HTML stripped as for every name on the way in), at most 200 characters. */
export function displayName(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const clean = stripHtml(value)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
  return clean || null;
}

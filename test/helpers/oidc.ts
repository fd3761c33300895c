import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Claims the mock provider puts in the next sign-in's tokens and userinfo. */
export interface MockIdentity {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  /** Microsoft: tenant, object id, username, and the per-tenant issuer of the ID token. */
  tid?: string;
  oid?: string;
  preferred_username?: string;
  iss?: string;
  /** Not claims: make /authorize answer access_denied, or /token answer invalid_grant. */
  _deny?: boolean;
  _token_error?: boolean;
  [claim: string]: unknown;
}

export interface MockOidcServer {
  /** http://127.0.0.1:<port>; /authorize, /token, /userinfo and /jwks hang off it. */
  issuer: string;
  /** Chooses who the next /authorize signs in. */
  setIdentity(identity: MockIdentity): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a real OAuth2/OIDC server (oauth2-mock-server, ESM-only) in a child
 * process on a free localhost port; see oidc-server.mjs.
 */
export async function startMockOidc(): Promise<MockOidcServer> {
  const child: ChildProcess = fork(join(__dirname, 'oidc-server.mjs'), [], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const issuer = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the mock OIDC server did not start')), 15_000);
    child.once('exit', (code) => reject(new Error(`the mock OIDC server exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { issuer: string }).issuer);
    });
  });
  return {
    issuer,
    async setIdentity(identity) {
      const res = await fetch(`${issuer}/_control/identity`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(identity),
      });
      if (res.status !== 204) throw new Error(`could not set the identity: ${res.status}`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

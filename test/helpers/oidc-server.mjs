// A real OAuth2/OIDC server for the SSO tests, run as a child process because
// oauth2-mock-server is ESM-only and jest (CommonJS) cannot import it.
//
// It serves oauth2-mock-server's /authorize, /token (with PKCE checks),
// /userinfo and /jwks on one port, plus a control endpoint on the same port:
// POST /_control/identity {claims} chooses who the next /authorize signs in.
// The claims are tied to the authorization code at /authorize, copied into
// both tokens at /token, and answered at /userinfo from the access token, so
// every sign-in carries the identity that was current when it was authorized.
//
// Two switches ride along with the claims: `_deny: true` makes /authorize
// answer error=access_denied, `_token_error: true` makes /token answer
// invalid_grant.
//
// On start it prints one JSON line: {"issuer":"http://127.0.0.1:<port>"}.
import { createServer } from 'node:http';
import { OAuth2Server } from 'oauth2-mock-server';

const JWT_CLAIMS = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'scope', 'amr', 'nonce']);

const mock = new OAuth2Server();
await mock.issuer.keys.generate('RS256');

let nextIdentity = { sub: 'johndoe' };
const identityByCode = new Map();

const identityOf = (req) => {
  const code = req.body?.code;
  return typeof code === 'string' ? identityByCode.get(code) : undefined;
};

mock.service.on('beforeAuthorizeRedirect', (redirect) => {
  const code = redirect.url.searchParams.get('code');
  if (!code) return;
  if (nextIdentity._deny) {
    redirect.url.searchParams.delete('code');
    redirect.url.searchParams.set('error', 'access_denied');
    redirect.url.searchParams.set('error_description', 'The user said no');
    return;
  }
  identityByCode.set(code, nextIdentity);
});

mock.service.on('beforeTokenSigning', (token, req) => {
  const identity = identityOf(req);
  if (!identity) return;
  const isIdToken = token.payload.aud === req.body?.client_id;
  const { iss, ...claims } = identity;
  for (const [name, value] of Object.entries(claims)) {
    if (!name.startsWith('_')) token.payload[name] = value;
  }
  // The ID token may claim another issuer, e.g. Microsoft's per-tenant
  // https://login.microsoftonline.com/<tid>/v2.0.
  if (iss && isIdToken) token.payload.iss = iss;
});

mock.service.on('beforeResponse', (response, req) => {
  if (!identityOf(req)?._token_error) return;
  response.statusCode = 400;
  response.body = { error: 'invalid_grant', error_description: 'The code is not valid' };
});

mock.service.on('beforeUserinfo', (response, req) => {
  const header = req.headers.authorization ?? '';
  const bearer = header.toLowerCase().startsWith('bearer ') ? header.slice(7) : undefined;
  const query = new URL(req.url ?? '/', 'http://mock').searchParams.get('access_token');
  const payload = decode(bearer ?? query ?? '');
  if (!payload) {
    response.statusCode = 401;
    response.body = { error: 'invalid_token', error_description: 'no access token' };
    return;
  }
  response.body = Object.fromEntries(
    Object.entries(payload).filter(([name]) => !JWT_CLAIMS.has(name)),
  );
});

function decode(token) {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

const oidc = mock.service.requestHandler;
const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/_control/identity') {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      try {
        nextIdentity = JSON.parse(body);
        res.writeHead(204).end();
      } catch (error) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error));
      }
    });
    return;
  }
  oidc(req, res);
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  mock.issuer.url = `http://127.0.0.1:${port}`;
  console.log(JSON.stringify({ issuer: mock.issuer.url }));
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// Never outlive the test run that started us.
process.on('disconnect', stop);

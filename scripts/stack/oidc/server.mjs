// TEST-ONLY OAuth 2.0 / OpenID Connect authorization server for the pysmail loopback test stack.
// Started and stopped by scripts/stack.py; never use it for anything real: the login page accepts
// any user with any password, and the /__test/* endpoints below let anyone count and sabotage
// token requests.
//
//   node server.mjs RUN/oidc/config.json
//
// config.json (written per run by scripts/stack.py, mode 0600, never committed):
//   {"host": "127.0.0.1", "port": 12345, "issuer": "http://127.0.0.1:12345",
//    "short_at_ttl": 4, "cookie_keys": ["..."], "clients": {"mailcli": "<secret>", ...},
//    "jwt_clients": {"mailcli-jwt": {"certificate": "RUN/client-cert/client.crt"}},
//    "app_grants": {"mailcli": ["alice@example.test"], ...}}
//
// oidc-provider 9.13.3 (panva), configured as /work/shared/docs/test-stack.md section 3 says:
//   clients  mailcli (client_secret_basic), mailcli-post (client_secret_post), mailcli-short
//            (access tokens live short_at_ttl seconds), mailcli-public (no secret, PKCE only):
//            native apps with loopback redirect URIs (any port, RFC 8252 7.3); dovecot: a resource
//            server that may only introspect. mailcli-jwt: client credentials only, authenticated
//            by private_key_jwt (RFC 7523 2.2) with the key of the per-run certificate named in
//            jwt_clients (its public key is the client's jwks; the assertion's x5t header must be
//            that certificate's SHA-1 thumbprint, as Microsoft identifies a certificate).
//   accounts any login is accepted and becomes `sub`; tokens carry {username, email} = the login.
//   app-only (client credentials) as Exchange Online grants it: app_grants lists, per client,
//            the mailboxes its application may act for (Exchange: SMTP.SendAsApp and the
//            service principal's mailbox permission). The introspection answer of such a token
//            names them: {"sub": "app:<client>", "mailboxes": "a@x,b@x"}, and Dovecot's second
//            oauth2 passdb (dovecot-oauth2-app.conf.ext.tmpl) lets XOAUTH2/OAUTHBEARER in only
//            as one of them. A client without a grant gets a token naming no mailbox and no
//            sub: Dovecot answers 454 (test-stack.md pitfall 10). A user's token names the
//            user's own mailbox ("mailboxes": the login).
//   PKCE S256 required; refresh tokens only with offline_access (and prompt=consent), rotated on
//   every use; opaque access tokens (introspectable).
//
// Test-only endpoints (loopback only, no authentication; for the test suite, not a real server):
//   GET  /__test/stats  -> {"total": n, "requests": [{"grant_type", "client_id", "client_auth",
//                           "status", "injected"}...]}: every request to the token endpoint since
//                           the last reset, in arrival order. client_auth is how the client
//                           authenticated: "client_secret_basic" (Authorization header),
//                           "client_secret_post" (client_secret in the body),
//                           "private_key_jwt" (a jwt-bearer client_assertion) or "none".
//                           oidc-provider itself accepts basic and post interchangeably for a
//                           client registered with either, so only this field tells them apart.
//   POST /__test/reset  -> empties the statistics and cancels pending failures.
//   POST /__test/fail   {"count": 1, "status": 500, "delay_ms": 0, "body": "...",
//                        "content_type": "..."}: the next `count` token requests wait
//                        `delay_ms`, then (if `status` is given) get that status and body instead
//                        of being processed; without `status` they are processed after the delay.
//                        Counted in /__test/stats with "injected": true.
//   POST /__test/expire {"access_token": "..."}: that access token's expiry ("exp") becomes a
//                        second ago, as if its lifetime had run out: from now on the provider
//                        treats it as expired (introspection: {"active": false}), as it does a
//                        short_at_ttl token after its seconds. 404 for a token it does not hold.
//                        Lets a test expire a token at a point it chooses instead of racing a
//                        wall-clock lifetime.

import * as crypto from 'node:crypto';
import { readFileSync } from 'node:fs';

import Provider, { errors } from 'oidc-provider';

const configPath = process.argv[2];
if (!configPath) {
  console.error('usage: node server.mjs CONFIG.json');
  process.exit(2);
}
const cfg = JSON.parse(readFileSync(configPath, 'utf8'));
const { clients: secrets } = cfg;
// client id -> the mailboxes its application is granted (lower case, as Dovecot's %Lu)
const grants = Object.fromEntries(
  Object.entries(cfg.app_grants || {}).map(([id, boxes]) => [id, boxes.map((b) => b.toLowerCase())]),
);

const LOOPBACK_REDIRECTS = [
  'http://127.0.0.1/callback',
  'http://localhost/callback',
  'http://localhost:8001/myapp/',
];
const ALL_GRANTS = [
  'authorization_code',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:device_code',
  'client_credentials',
];

function appClient(clientId, authMethod, grantTypes = ALL_GRANTS) {
  const client = {
    client_id: clientId,
    application_type: 'native',
    token_endpoint_auth_method: authMethod,
    grant_types: grantTypes,
    response_types: ['code'],
    redirect_uris: LOOPBACK_REDIRECTS,
  };
  if (authMethod !== 'none') {
    client.client_secret = secrets[clientId];
  }
  return client;
}

const clients = [
  appClient('mailcli', 'client_secret_basic'),
  appClient('mailcli-post', 'client_secret_post'),
  appClient('mailcli-short', 'client_secret_basic'),
  appClient('mailcli-public', 'none', ALL_GRANTS.filter((g) => g !== 'client_credentials')),
  {
    // the resource server (Dovecot's oauth2 passdb): introspection only
    client_id: 'dovecot',
    client_secret: secrets.dovecot,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: [],
    response_types: [],
    redirect_uris: [],
  },
];
// private_key_jwt clients: the public key of a certificate made per run by scripts/stack.py
const thumbprints = {};
for (const [clientId, spec] of Object.entries(cfg.jwt_clients || {})) {
  const cert = new crypto.X509Certificate(readFileSync(spec.certificate));
  thumbprints[clientId] = crypto.createHash('sha1').update(cert.raw).digest('base64url');
  clients.push({
    client_id: clientId,
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [{ ...cert.publicKey.export({ format: 'jwk' }), use: 'sig' }] },
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  });
}

for (const client of clients) {
  if (client.token_endpoint_auth_method === 'private_key_jwt') continue;
  if (client.token_endpoint_auth_method !== 'none' && !client.client_secret) {
    console.error(`no secret for client ${client.client_id} in ${configPath}`);
    process.exit(2);
  }
}

// A per-run P-256 signing key (ID tokens): no dev keys, no warning, nothing committed.
const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'pysmail-stack', use: 'sig', alg: 'ES256' };

const configuration = {
  clients,
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  jwks: { keys: [jwk] },
  cookies: { keys: cfg.cookie_keys },
  async findAccount(_ctx, id) {
    // The dev login page accepts any login (and ignores the password): the login is `sub`.
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id, email_verified: true, preferred_username: id };
      },
    };
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['preferred_username'],
  },
  scopes: ['openid', 'offline_access', 'email', 'profile', 'mail'],
  async extraTokenClaims(_ctx, token) {
    // top-level in the introspection response of opaque tokens (Dovecot username_attribute)
    if (token.accountId) {
      const mailbox = token.accountId.toLowerCase();
      return { username: token.accountId, email: token.accountId, mailboxes: mailbox };
    }
    // client credentials: the mailboxes the application is granted, if any (see the header)
    const granted = grants[token.clientId];
    if (!granted || granted.length === 0) return undefined;
    return { sub: `app:${token.clientId}`, mailboxes: granted.join(',') };
  },
  async assertJwtClientAuthClaimsAndHeader(_ctx, _claims, header, client) {
    // Microsoft finds the certificate by the x5t header: hold the client to the same rule
    const expected = thumbprints[client.clientId];
    if (expected && header.x5t !== expected) {
      throw new errors.InvalidClientAuth('x5t does not name the registered certificate');
    }
  },
  pkce: { required: () => true },
  rotateRefreshToken: true,
  async issueRefreshToken(_ctx, client, code) {
    return client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access');
  },
  ttl: {
    AccessToken(_ctx, _token, client) {
      return client?.clientId === 'mailcli-short' ? cfg.short_at_ttl : 3600;
    },
    ClientCredentials: 600,
    AuthorizationCode: 60,
    DeviceCode: 600,
    Grant: 14 * 24 * 3600,
    IdToken: 3600,
    Interaction: 3600,
    RefreshToken: 14 * 24 * 3600,
    Session: 14 * 24 * 3600,
  },
  features: {
    devInteractions: { enabled: true },
    introspection: {
      enabled: true,
      allowedPolicy(_ctx, client, token) {
        // the resource server and the token's own confidential client may introspect
        return client.clientId === 'dovecot'
          || (client.clientAuthMethod !== 'none' && client.clientId === token.clientId);
      },
    },
    revocation: {
      enabled: true,
      allowedPolicy(_ctx, client, token) {
        return token.clientId === client.clientId;
      },
    },
    deviceFlow: { enabled: true },
    clientCredentials: { enabled: true },
  },
  // The server fetches nothing (no jwks_uri, no sector_identifier_uri); refuse it if it tries.
  fetch(url) {
    return Promise.reject(new Error(`test server: outgoing fetch refused (${url})`));
  },
};

const provider = new Provider(cfg.issuer, configuration);

// --------------------------------------------------------------------------- test-only hooks

let stats = [];
let failures = []; // one entry per pending injected failure

function basicClientId(header) {
  const match = /^Basic\s+(.+)$/i.exec(header || '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  try {
    return decodeURIComponent(colon < 0 ? decoded : decoded.slice(0, colon));
  } catch {
    return undefined;
  }
}

async function readRaw(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function clientAuthOf(authorization, params) {
  if (/^Basic\s/i.test(authorization || '')) return 'client_secret_basic';
  if (params?.client_assertion_type === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
    return 'private_key_jwt';
  }
  if (params?.client_secret) return 'client_secret_post';
  return 'none';
}

// The request's JSON body ({} when empty); undefined after answering 400 when it is not JSON.
async function readJsonBody(ctx) {
  try {
    return JSON.parse((await readRaw(ctx.req)) || '{}');
  } catch {
    sendJson(ctx, 400, { error: 'body must be JSON' });
    return undefined;
  }
}

function sendJson(ctx, status, value) {
  ctx.status = status;
  ctx.type = 'application/json';
  ctx.body = JSON.stringify(value);
}

provider.use(async (ctx, next) => {
  if (ctx.path.startsWith('/__test/')) {
    if (ctx.method === 'GET' && ctx.path === '/__test/stats') {
      sendJson(ctx, 200, { total: stats.length, requests: stats, pending_failures: failures.length });
      return;
    }
    if (ctx.method === 'POST' && ctx.path === '/__test/reset') {
      stats = [];
      failures = [];
      sendJson(ctx, 200, { ok: true });
      return;
    }
    if (ctx.method === 'POST' && ctx.path === '/__test/fail') {
      const spec = await readJsonBody(ctx);
      if (spec === undefined) return;
      const count = Number.isInteger(spec.count) ? spec.count : 1;
      for (let i = 0; i < count; i += 1) {
        failures.push({
          status: spec.status,
          delay_ms: spec.delay_ms || 0,
          body: spec.body,
          content_type: spec.content_type,
        });
      }
      sendJson(ctx, 200, { ok: true, pending_failures: failures.length });
      return;
    }
    if (ctx.method === 'POST' && ctx.path === '/__test/expire') {
      const spec = await readJsonBody(ctx);
      if (spec === undefined) return;
      const value = spec.access_token;
      const stored = typeof value === 'string' ? await provider.AccessToken.adapter.find(value) : undefined;
      if (!stored) {
        sendJson(ctx, 404, { error: 'no such access token' });
        return;
      }
      // The stored payload with exp in the past: AccessToken.find() (introspection, userinfo)
      // then refuses it exactly as it refuses a token whose lifetime ran out.
      const now = Math.floor(Date.now() / 1000);
      await provider.AccessToken.adapter.upsert(value, { ...stored, exp: now - 1 }, 60);
      sendJson(ctx, 200, { ok: true });
      return;
    }
    sendJson(ctx, 404, { error: 'unknown test endpoint' });
    return;
  }

  if (ctx.method === 'POST' && ctx.path === '/token') {
    const failure = failures.shift();
    const entry = { grant_type: undefined, client_id: basicClientId(ctx.get('authorization')) };
    stats.push(entry);
    if (failure) entry.injected = true;
    if (failure?.delay_ms) await new Promise((resolve) => { setTimeout(resolve, failure.delay_ms); });
    if (failure?.status) {
      const params = new URLSearchParams(await readRaw(ctx.req));
      entry.grant_type = params.get('grant_type') ?? undefined;
      entry.client_id ??= params.get('client_id') ?? undefined;
      entry.client_auth = clientAuthOf(ctx.get('authorization'), Object.fromEntries(params));
      entry.status = failure.status;
      ctx.status = failure.status;
      ctx.type = failure.content_type || 'application/json';
      ctx.body = failure.body ?? JSON.stringify({
        error: 'server_error',
        error_description: 'injected failure (test server)',
      });
      return;
    }
    await next();
    const body = ctx.oidc?.body || {};
    entry.grant_type = body.grant_type;
    entry.client_id ??= body.client_id;
    entry.client_auth = clientAuthOf(ctx.get('authorization'), body);
    entry.status = ctx.status;
    return;
  }

  await next();
  // The dev pages @import a Google Fonts stylesheet: drop it, so that a browser driven by the
  // tests never tries to leave loopback (test-stack.md pitfall 11).
  if (typeof ctx.body === 'string' && ctx.response.is('html')) {
    ctx.body = ctx.body.replace(/@import url\(https?:\/\/[^)]*\);?/g, '');
  }
});

const server = provider.listen(cfg.port, cfg.host, () => {
  console.log(`oidc test server listening on ${cfg.issuer}`);
});
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}

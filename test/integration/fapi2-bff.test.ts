/**
 * The BFF with `profile: 'fapi2'` against the demo provider in FAPI 2.0 mode
 * (oidc-provider's FAPI 2.0 profile: PAR required, private_key_jwt only,
 * DPoP-bound tokens required) and the todo API requiring DPoP: login,
 * proxied calls, refresh, logout and back-channel logout all work; the
 * browser's authorization request carries only `client_id` and
 * `request_uri`; a stolen access token replayed without its key is refused;
 * a BFF with the wrong key is refused by the provider.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { decodeJwt, EmbeddedJWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonWebKey } from 'node:crypto';
import { createBff, silentLogger, type SessionState } from '@portcullis/bff';
import { resolveOptions } from '../../packages/bff/src/options.ts';
import { checkClient } from '../../packages/bff/src/server/check-client.ts';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import { startUpstream, wsHandshake, type Upstream } from '../helpers/attack.ts';
import { BffClient } from '../helpers/bff-client.ts';
import { createKoaApp } from '../helpers/koa.ts';
import { authOf as authIn, expireAccessToken } from '../helpers/sessions.ts';

const authOf = async (s: DemoStack, tab: BffClient) => {
  const auth = (await authIn(s.bff, tab))!;
  for (const value of [auth.tokens.accessToken, auth.tokens.refreshToken, auth.tokens.idToken, auth.tokens.dpopKey?.d]) if (value) secrets.add(value);
  return auth;
};

let stack: DemoStack;
let wsUpstream: Upstream;
/** Every log line of the BFF (all levels), and the secrets seen during the tests: none may appear in a line. */
const logLines: string[] = [];
const secrets = new Set<string>();
const record = (level: string) => (fields: object, message: string) => void logLines.push(`${level} ${message} ${JSON.stringify(fields)}`);
const capture = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
beforeAll(async () => {
  wsUpstream = await startUpstream();
  stack = await startDemoStack({
    securityProfile: 'fapi2',
    logger: capture,
    accessTokenTtl: 60,
    bff: ({ api }) => ({
      apis: [
        { path: '/api/todos', target: `${api.url}/todos`, token: 'user' },
        { path: '/api/machine', target: `${api.url}/whoami`, token: 'client' },
        { path: '/ws/live', target: `${wsUpstream.url}/socket`, token: 'user', ws: true },
      ],
    }),
  });
  stack.server.on('upgrade', (req, socket, head) => {
    if (!stack.bff.upgrade(req, socket, head)) socket.destroy();
  });
});
afterAll(async () => {
  await stack?.stop();
  await wsUpstream?.close();
});

describe('profile fapi2 against a FAPI 2.0 provider', () => {
  it('logs in through PAR: the browser sees only client_id and request_uri, the session holds a DPoP-bound token', async () => {
    const tab = new BffClient(stack.baseUrl);
    const start = await fetch(`${stack.baseUrl}/bff/login`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const location = new URL(start.headers.get('location')!);
    expect([...location.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expect(location.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);

    await tab.login('alice');
    expect((await tab.user()).status).toBe(200);
    const auth = await authOf(stack, tab);
    expect(auth.tokens.tokenType).toBe('DPoP');
    const claims = decodeJwt(auth.tokens.accessToken) as { cnf?: { jkt?: string } };
    expect(claims.cnf?.jkt).toMatch(/^[\w-]{43}$/);
  });

  it('proxies API calls with DPoP proofs; the API refuses the stolen token as Bearer and as DPoP without a proof', async () => {
    const tab = await BffClient.signedIn(stack.baseUrl, 'alice');
    const list = await tab.fetch('/api/todos');
    expect(list.status).toBe(200);
    const created = await tab.fetch('/api/todos', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'bound' }) });
    expect(created.status).toBe(201);

    const { tokens } = await authOf(stack, tab);
    const asBearer = await fetch(`${stack.api.url}/todos`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    expect(asBearer.status).toBe(401);
    const noProof = await fetch(`${stack.api.url}/todos`, { headers: { authorization: `DPoP ${tokens.accessToken}` } });
    expect(noProof.status).toBe(401);
  });

  it("'client' routes get a client-credentials token bound to the instance's key, one grant for many calls", async () => {
    stack.provider.resetCounts();
    const anonymous = new BffClient(stack.baseUrl);
    const responses = await Promise.all(Array.from({ length: 10 }, () => anonymous.fetch('/api/machine')));
    for (const response of responses) expect(response.status).toBe(200);
    expect(await responses[0]!.json()).toMatchObject({ kind: 'client', clientId: stack.client.id });
    expect(stack.provider.grantCounts()['client_credentials']).toBe(1);
  });

  it('refreshes with a DPoP proof: the new token is bound to the same key', async () => {
    const tab = await BffClient.signedIn(stack.baseUrl, 'alice');
    const before = await authOf(stack, tab);
    // Expire the access token in the store: the next call must refresh.
    await expireAccessToken(stack.bff, tab);
    stack.provider.resetCounts();
    expect((await tab.fetch('/api/todos')).status).toBe(200);
    expect(stack.provider.grantCounts()['refresh_token']).toBe(1);
    const after = await authOf(stack, tab);
    expect(after.tokens.accessToken).not.toBe(before.tokens.accessToken);
    expect(after.tokens.tokenType).toBe('DPoP');
    const jkt = (token: string) => (decodeJwt(token) as { cnf: { jkt: string } }).cnf.jkt;
    expect(jkt(after.tokens.accessToken)).toBe(jkt(before.tokens.accessToken));
  });

  it('logs out at the provider and back to the app; back-channel logout ends a session', async () => {
    const tab = await BffClient.signedIn(stack.baseUrl, 'alice');
    const { body } = await tab.user();
    const logout = await tab.fetch(String(body['logoutUrl']));
    expect(logout.status).toBe(302);
    expect(logout.headers.get('portcullis-logout')).toBe('provider');
    expect(new URL(logout.headers.get('location')!).origin).toBe(new URL(stack.provider.issuer).origin);
    expect((await tab.user()).status).toBe(401);

    const other = await BffClient.signedIn(stack.baseUrl, 'bob');
    const { sid, sub } = await authOf(stack, other);
    const logoutToken = await stack.provider.signJwt(
      { aud: stack.client.id, sub, sid, jti: `jti-${Date.now()}`, exp: Math.floor(Date.now() / 1000) + 120, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } },
      { typ: 'logout+jwt' },
    );
    const back = await fetch(`${stack.baseUrl}/bff/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: logoutToken }),
    });
    expect(back.status, await back.clone().text()).toBe(200);
    expect((await other.user()).status).toBe(401);
  });

  it('a BFF holding another key is refused by the provider at PAR: no session, a clear error', async () => {
    const errors: string[] = [];
    const wrongKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    const impostor = createBff({
      issuer: stack.provider.issuer,
      clientId: stack.client.id,
      profile: 'fapi2',
      clientPrivateKey: wrongKey,
      baseUrl: stack.baseUrl,
      session: { keys: ['x'.repeat(32)] },
      logger: { ...silentLogger, error: (_fields: object, message: string) => void errors.push(message) },
    });
    try {
      const app = createKoaApp();
      app.use(impostor);
      const server = createServer(app.callback());
      await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
      const port = (server.address() as { port: number }).port;
      const response = await fetch(`http://localhost:${port}/bff/login`, { redirect: 'manual', headers: { accept: 'application/json' } });
      server.close();
      expect(response.status).toBe(502);
      expect(await response.clone().json()).toMatchObject({ error: 'bad_gateway' });
      expect(errors.join('\n')).toMatch(/clientPrivateKey/);
      expect(response.headers.get('location')).toBeNull();
      const text = await response.text();
      expect(text).not.toContain(String(wrongKey.d));
    } finally {
      await impostor.close();
    }
  });

  it('portcullis check tries the key against the provider and reports PAR and DPoP; a wrong key fails, naming clientPrivateKey', async () => {
    const options = (key: unknown) =>
      resolveOptions({ issuer: stack.provider.issuer, clientId: stack.client.id, profile: 'fapi2', clientPrivateKey: key as JsonWebKey, baseUrl: stack.baseUrl, session: { keys: ['x'.repeat(32)] } });
    const good = await checkClient(options(stack.client.privateJwk));
    expect(good.ok).toBe(true);
    const rows = Object.fromEntries(good.rows);
    expect(rows['client']).toMatch(/private_key_jwt\): OK/);
    expect(rows['security']).toBe('pushed authorization requests; DPoP-bound tokens (ES256 proofs)');
    expect(good.warnings).toEqual([]);
    const wrong = await checkClient(options(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })));
    expect(wrong.ok).toBe(false);
    expect(Object.fromEntries(wrong.rows)['client']).toMatch(/invalid_client.*"clientPrivateKey" \(PORTCULLIS_CLIENT_PRIVATE_KEY/);
  });

  it("the app's own routes present the bound token with a proof: requireSession's authorizationHeaders", async () => {
    const guard = stack.bff.requireSession({ csrf: false });
    const app = createKoaApp();
    app.use(async (ctx: unknown) => {
      const c = ctx as { body: unknown; state: Record<string, unknown> };
      await guard(ctx as never, async () => {
        const state = c.state as unknown as SessionState;
        const url = `${stack.api.url}/todos`;
        const headers = await state.authorizationHeaders('GET', url);
        const bearer = await fetch(url, { headers: { authorization: `Bearer ${await state.accessToken()}` } });
        c.body = { scheme: headers['authorization']!.split(' ')[0], status: (await fetch(url, { headers })).status, bearer: bearer.status };
      });
    });
    const server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
    try {
      const tab = await BffClient.signedIn(stack.baseUrl, 'alice');
      const response = await tab.fetch(`http://localhost:${(server.address() as { port: number }).port}/me`, { csrf: false });
      expect(await response.json()).toEqual({ scheme: 'DPoP', status: 200, bearer: 401 });
    } finally {
      server.close();
    }
  });

  it('a WebSocket handshake carries the bound token as DPoP with a proof for GET on the upstream URL', async () => {
    const tab = await BffClient.signedIn(stack.baseUrl, 'alice');
    const { tokens } = await authOf(stack, tab);
    const answer = await wsHandshake(stack.baseUrl, '/ws/live/room?x=1', { origin: stack.baseUrl, cookie: tab.jar.cookieHeader(stack.baseUrl)! });
    expect(answer.status).toBe(101);
    const seen = wsUpstream.upgrades.at(-1)!;
    expect(seen.url).toBe('/socket/room?x=1');
    expect(seen.headers.authorization).toBe(`DPoP ${tokens.accessToken}`);
    const { payload, protectedHeader } = await jwtVerify(String(seen.headers['dpop']), EmbeddedJWK, { typ: 'dpop+jwt' });
    expect(payload).toMatchObject({ htm: 'GET', htu: `${wsUpstream.url}/socket/room`, ath: createHash('sha256').update(tokens.accessToken).digest('base64url') });
    expect(protectedHeader.jwk).not.toHaveProperty('d');
  });

  it('no token, DPoP private key or client private key in any log line (all levels)', () => {
    secrets.add(String(stack.client.privateJwk!['d']));
    expect(logLines.length).toBeGreaterThan(5);
    expect(secrets.size).toBeGreaterThan(5);
    for (const line of logLines) for (const secret of secrets) expect(line.includes(secret), line.slice(0, 80)).toBe(false);
  });

  it('GET /bff/jwks is off by default', async () => {
    expect((await fetch(`${stack.baseUrl}/bff/jwks`)).status).toBe(404);
  });
});

/**
 * Attack suite: safe logs. Logs travel far (aggregators, support tickets), so
 * nothing that grants access may appear in them (RFC 9700 §4.14 on
 * leaking tokens and codes; OWASP logging cheat sheet). A full flow runs with
 * a capturing logger at debug level: logins, /bff/user, proxied calls, a
 * refresh, failures on every path (forged state, forged code, replayed
 * callback, bad ID tokens, tampered cookie, CSRF refusal, dead upstream,
 * revoked refresh token, bad and replayed logout tokens), logout, and
 * back-channel logout (from the real provider and by hand). The provider's
 * error events are captured too.
 *
 * Every secret the flow handled is collected where it crossed a boundary:
 * token requests and responses (through the token-endpoint interceptor, which
 * passes them unchanged), Set-Cookie values, authorization URLs, logout
 * tokens. None of them (nor any 20+ character part of a JWT) may appear in
 * any log line. Errors inside log fields are expanded (message, stack,
 * cause, own properties) before the comparison, so a secret hidden in an
 * Error object still counts.
 */
import type { BffLogger } from '@portcullis/bff';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../helpers/bff-harness.ts';
import { discovery, interceptTokenEndpoint, pendingLogin, startArena, type Arena, type TokenExchange } from '../helpers/attack.ts';
import { BffClient, formAction } from '../helpers/bff-client.ts';
import { browse } from '../helpers/cookie-jar.ts';
import { authOf, eventually, expireAccessToken } from '../helpers/sessions.ts';
import { internalsOf } from '../../packages/bff/src/internals.ts';

const EVENT = { 'http://schemas.openid.net/event/backchannel-logout': {} };

/** JSON with Errors expanded (JSON.stringify alone would print `{}` and hide their message). */
function serialise(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Error) {
      const own = Object.fromEntries(Object.getOwnPropertyNames(v).map((k) => [k, (v as unknown as Record<string, unknown>)[k]]));
      return { ...own, name: v.name, message: v.message, stack: v.stack, cause: v.cause };
    }
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '[circular]';
      seen.add(v);
    }
    if (typeof v === 'bigint') return String(v);
    return v;
  });
}

const lines: string[] = [];
const providerLines: string[] = [];
const capturing: BffLogger = {
  debug: (fields, msg) => lines.push(serialise(['debug', fields, msg])),
  info: (fields, msg) => lines.push(serialise(['info', fields, msg])),
  warn: (fields, msg) => lines.push(serialise(['warn', fields, msg])),
  error: (fields, msg) => lines.push(serialise(['error', fields, msg])),
};

let arena: Arena;
const secrets = new Map<string, string>();
const exchanges: TokenExchange[] = [];
const tabs: BffClient[] = [];

/** Remembers a secret (and, for JWTs, each part long enough to identify it). */
function secret(kind: string, value: string | undefined | null): void {
  if (!value || value.length < 8) return;
  secrets.set(value, kind);
  if (/^[\w-]+\.[\w-]+\.[\w-]*$/.test(value)) for (const part of value.split('.')) if (part.length >= 20) secrets.set(part, `${kind} (part)`);
}

/** Every cookie value the tabs hold now (session and login-binding cookies). */
function collectCookies(): void {
  for (const tab of tabs) for (const c of tab.jar.all()) if (c.name.startsWith('portcullis')) secret(`cookie ${c.name}`, c.value);
}

function tab(): BffClient {
  const t = new BffClient(arena.baseUrl);
  tabs.push(t);
  return t;
}

beforeAll(async () => {
  const dead = await closedPort();
  arena = await startArena({
    logger: capturing,
    bff: ({ api }) => ({
      apis: [
        { path: '/api/todos', target: `${api.url}/todos`, token: 'user' },
        { path: '/api/dead', target: `http://localhost:${dead}/x`, token: 'user', timeout: 2000 },
      ],
    }),
  });
  tabs.push(arena.sentinel);
  const provider = arena.stack.provider.provider;
  const errorEvents = [
    'server_error',
    'backchannel.error',
    'grant.error',
    'authorization.error',
    'end_session.error',
    'revocation.error',
    'introspection.error',
    'userinfo.error',
    'jwks.error',
    'discovery.error',
  ];
  for (const name of errorEvents) {
    provider.on(name, (...args: unknown[]) => {
      // The Koa context (first argument of most events) holds the raw request; log what a provider would: the error.
      providerLines.push(serialise([name, ...args.filter((a) => a instanceof Error)]));
    });
  }
  secret('client secret', arena.stack.client.secret);
  secret('client credentials (Basic)', Buffer.from(`${arena.stack.client.id}:${arena.stack.client.secret}`).toString('base64'));
  secret('client credentials (Basic, form-encoded)', Buffer.from(`${encodeURIComponent(arena.stack.client.id)}:${encodeURIComponent(arena.stack.client.secret)}`).toString('base64'));

  const tokenEndpoint = (await discovery(arena.stack.provider.issuer))['token_endpoint']!;
  const attackerKey = (await generateKeyPair('RS256')).privateKey;
  let forgeNext: ((body: Record<string, unknown>) => Promise<Record<string, unknown>>) | undefined;
  const intercept = interceptTokenEndpoint(tokenEndpoint, async (body) => {
    const forge = forgeNext;
    forgeNext = undefined;
    return forge ? forge(body) : body;
  });
  try {
    // 1. A normal login, /bff/user, proxied reads and writes, a refresh.
    const alice = tab();
    const login = await pendingLogin(alice, 'alice', '/todos');
    secret('state', login.state);
    secret('nonce', login.nonce);
    secret('code', login.code);
    expect((await alice.fetch(login.callbackPath, { csrf: false })).status).toBe(302);
    collectCookies();
    const user = await alice.user();
    expect(user.status).toBe(200);
    secret('logout sid', new URL(user.body['logoutUrl'] as string, arena.baseUrl).searchParams.get('sid'));
    expect((await alice.fetch('/api/todos')).status).toBe(200);
    expect((await alice.fetch('/api/todos', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"log test"}' })).status).toBe(201);
    await expireAccessToken(arena.stack.bff, alice);
    expect((await alice.fetch('/api/todos')).status).toBe(200);

    // 2. Failures on the login paths.
    const replay = tab();
    expect((await replay.fetch(login.callbackPath, { csrf: false })).status).toBe(400);
    const forgedCode = tab();
    const pending = await pendingLogin(forgedCode, 'alice');
    secret('state', pending.state);
    secret('code', pending.code);
    expect((await forgedCode.fetch(pending.callbackPath.replace(/code=[^&]+/, 'code=forged-code-value'), { csrf: false })).status).toBe(400);
    const forgedState = tab();
    const pending2 = await pendingLogin(forgedState, 'alice');
    secret('state', pending2.state);
    secret('code', pending2.code);
    expect((await forgedState.fetch(pending2.callbackPath.replace(/state=[^&]+/, `state=${'f'.repeat(32)}`), { csrf: false })).status).toBe(400);
    // The real callback of that login, with an ID token signed by another key (401), then one with a wrong nonce.
    const badKey = tab();
    const pending3 = await pendingLogin(badKey, 'alice');
    secret('state', pending3.state);
    secret('code', pending3.code);
    forgeNext = async (body) => ({
      ...body,
      id_token: await new SignJWT({ sub: 'alice', aud: arena.stack.client.id, iss: arena.stack.provider.issuer, nonce: pending3.nonce })
        .setProtectedHeader({ alg: 'RS256', kid: arena.stack.provider.currentKid() })
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(attackerKey),
    });
    expect((await badKey.fetch(pending3.callbackPath, { csrf: false })).status).toBe(401);
    const badNonce = tab();
    const pending4 = await pendingLogin(badNonce, 'alice');
    secret('state', pending4.state);
    secret('code', pending4.code);
    forgeNext = async (body) => ({
      ...body,
      id_token: await arena.stack.provider.signJwt({ sub: 'alice', aud: arena.stack.client.id, nonce: 'wrong-nonce-value', exp: Math.floor(Date.now() / 1000) + 300 }),
    });
    expect((await badNonce.fetch(pending4.callbackPath, { csrf: false })).status).toBe(401);
    collectCookies();

    // 3. Failures on signed-in paths.
    const cookie = alice.sessionCookie()!;
    expect((await fetch(new URL('/bff/user', arena.baseUrl), { headers: { cookie: `portcullis=${cookie.slice(0, -2)}xx`, 'x-csrf': '1' } })).status).toBe(401);
    expect((await alice.fetch('/bff/user', { csrf: false })).status).toBe(403);
    expect((await alice.fetch('/api/dead/x')).status).toBe(502);
    expect((await alice.fetch(`/bff/logout?sid=wrong-sid-value`, { csrf: false })).status).toBe(400);

    // 4. The provider unreachable during a refresh (503, an error-level line), then a revoked refresh token ends a session.
    await expireAccessToken(arena.stack.bff, alice);
    await arena.stack.provider.stop();
    try {
      expect((await alice.fetch('/api/todos')).status).toBe(503);
    } finally {
      await arena.stack.provider.restart();
    }
    const revokedTab = tab();
    await revokedTab.login('alice');
    const revokedAuth = (await authOf(arena.stack.bff, revokedTab))!;
    await internalsOf(arena.stack.bff).provider.revoke(revokedAuth.tokens.refreshToken!);
    await expireAccessToken(arena.stack.bff, revokedTab);
    expect((await revokedTab.fetch('/api/todos')).status).toBe(401);
    collectCookies();

    // 5. Logout (with revocation), back-channel logout from the real provider and by hand.
    collectCookies();
    expect((await alice.fetch(user.body['logoutUrl'] as string, { csrf: false })).status).toBe(302);
    const bob = tab();
    await bob.login('bob');
    collectCookies();
    const page = await browse(bob.jar, `${arena.stack.provider.issuer}/session/end`);
    const html = await page.response.text();
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1]!;
    await browse(bob.jar, formAction(html, page.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf, logout: 'yes' }),
    });
    await eventually(async () => (await bob.user()).status === 401);
    const carol = tab();
    await carol.login('alice');
    collectCookies();
    const { sid, sub } = (await authOf(arena.stack.bff, carol))!;
    const logoutToken = await arena.stack.provider.signJwt(
      { aud: arena.stack.client.id, jti: crypto.randomUUID(), sid, sub, exp: Math.floor(Date.now() / 1000) + 120, events: EVENT },
      { typ: 'logout+jwt' },
    );
    secret('logout token', logoutToken);
    const post = (token: string) =>
      fetch(`${arena.baseUrl}/bff/backchannel-logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ logout_token: token }) });
    expect((await post(logoutToken)).status).toBe(200);
    expect((await post(logoutToken)).status).toBe(400);
    const badLogoutToken = `${logoutToken.slice(0, -4)}AAAA`;
    secret('logout token', badLogoutToken);
    expect((await post(badLogoutToken)).status).toBe(400);
  } finally {
    intercept.restore();
  }
  exchanges.push(...intercept.exchanges);
  for (const { request, response } of exchanges) {
    for (const name of ['code', 'code_verifier', 'refresh_token', 'client_secret', 'client_assertion']) secret(`token request ${name}`, request.get(name));
    for (const name of ['access_token', 'refresh_token', 'id_token']) secret(`token response ${name}`, response[name] as string | undefined);
  }
});
afterAll(() => arena?.stop());

describe('no secret in any log line', () => {
  it('the flow produced log lines on every path and handled the secrets it should have', () => {
    const text = lines.join('\n');
    for (const message of ['login', 'logout', 'access token refreshed', 'request refused', 'upstream API failed', 'back-channel logout', 'refresh token refused: session ended']) {
      expect(text, `a "${message}" line`).toContain(`"${message}"`);
    }
    expect(
      lines.some((l) => l.startsWith('["error"') && l.includes('"status":503')),
      'an error-level line (provider down during a refresh)',
    ).toBe(true);
    const kinds = new Set(secrets.values());
    for (const kind of [
      'client secret',
      'state',
      'code',
      'token request code_verifier',
      'token request refresh_token',
      'token response access_token',
      'token response refresh_token',
      'token response id_token',
      'cookie portcullis',
      'cookie portcullis-login',
      'logout token',
    ]) {
      expect(kinds, kind).toContain(kind);
    }
    expect(exchanges.filter((e) => e.request.get('grant_type') === 'refresh_token').length).toBeGreaterThanOrEqual(1);
  });

  it('the BFF logs hold no token, code, code_verifier, state, client secret, cookie value or logout token', () => {
    const leaks: string[] = [];
    for (const line of lines) for (const [value, kind] of secrets) if (line.includes(value)) leaks.push(`${kind} in ${line.slice(0, 160)}`);
    expect(leaks).toEqual([]);
  });

  it("the provider's error events hold none either", () => {
    expect(providerLines.length, 'the failures produced provider errors').toBeGreaterThan(0);
    const leaks: string[] = [];
    for (const line of providerLines) for (const [value, kind] of secrets) if (line.includes(value)) leaks.push(`${kind} in ${line.slice(0, 160)}`);
    expect(leaks).toEqual([]);
  });
});

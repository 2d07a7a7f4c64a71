/**
 * Attack suite: `/bff/diagnostics`. Off unless `diagnostics: true` or
 * NODE_ENV=development, and then indistinguishable from any unknown path
 * (404, not a 405 that admits the endpoint exists). When on: behind the same
 * CSRF check as /bff/user, and it shows expiries and presence flags, never a
 * token value, the session cookie, the client secret or the session keys
 * (compared with the real values in the store). Every case: no session
 * record created or changed, the process still healthy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawHttp, startArena, type Arena } from '../helpers/attack.ts';
import { BffClient } from '../helpers/bff-client.ts';
import { authOf, expireAccessToken } from '../helpers/sessions.ts';

const KEY = 'k'.repeat(16) + 'diagnostics-session-key';

/** Every secret a diagnostics answer could leak for `tab`, with the JWT parts of each token. */
async function secretsOf(arena: Arena, tab: BffClient): Promise<string[]> {
  const auth = (await authOf(arena.stack.bff, tab))!;
  const tokens = [auth.tokens.accessToken, auth.tokens.refreshToken, auth.tokens.idToken].filter((t): t is string => Boolean(t));
  const cookie = tab.sessionCookie()!;
  return [...tokens, ...tokens.flatMap((t) => t.split('.').filter((p) => p.length >= 20)), cookie, cookie.split('.')[0]!, cookie.split('.')[1]!, arena.stack.client.secret, KEY];
}

describe('diagnostics off (the default outside development)', () => {
  let arena: Arena;
  beforeAll(async () => {
    expect(process.env['NODE_ENV']).not.toBe('development');
    arena = await startArena({ sessionKeys: [KEY] });
  });
  afterAll(() => arena?.stop());

  it.each(['GET', 'HEAD', 'POST', 'OPTIONS'])('%s /bff/diagnostics → 404 like any unknown path, even signed in with X-CSRF', async (method) => {
    const cookie = arena.sentinel.jar.cookieHeader(arena.baseUrl)!;
    const unknown = await rawHttp(arena.baseUrl, `${method} /bff/no-such-endpoint HTTP/1.1\r\nHost: localhost\r\nCookie: ${cookie}\r\nX-CSRF: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    const exchange = await arena.guard(() =>
      rawHttp(arena.baseUrl, `${method} /bff/diagnostics HTTP/1.1\r\nHost: localhost\r\nCookie: ${cookie}\r\nX-CSRF: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`),
    );
    for (const secret of await secretsOf(arena, arena.sentinel)) expect(exchange.raw).not.toContain(secret);
    expect(exchange.raw).not.toMatch(/expiresAt|accessToken/);
    expect(unknown.status).toBe(404);
    expect(exchange.raw, 'no Allow header admitting the endpoint').not.toMatch(/\r\nallow:/i);
    expect(exchange.status).toBe(404);
  });
});

describe('diagnostics on', () => {
  let arena: Arena;
  let alice: BffClient;
  beforeAll(async () => {
    arena = await startArena({ sessionKeys: [KEY], bff: ({ api }) => ({ diagnostics: true, apis: [{ path: '/api/todos', target: `${api.url}/todos`, token: 'user' }] }) });
    alice = new BffClient(arena.baseUrl);
    await alice.login('alice');
  });
  afterAll(() => arena?.stop());

  it('needs X-CSRF like /bff/user (403 without, cross-site Origin refused)', async () => {
    const attempts: Array<RequestInit & { csrf?: boolean }> = [{ csrf: false }, { headers: { origin: 'https://evil.com' } }, { headers: { 'sec-fetch-site': 'cross-site' } }];
    for (const init of attempts) {
      const response = await arena.guard(() => alice.fetch('/bff/diagnostics', init));
      expect(response.status).toBe(403);
    }
  });

  it('anonymous: 200 with session null and no secret', async () => {
    const response = await arena.guard(() => new BffClient(arena.baseUrl).fetch('/bff/diagnostics'));
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ session: null, clientId: arena.stack.client.id });
    expect(text).not.toContain(arena.stack.client.secret);
    expect(text).not.toContain(KEY);
  });

  it('signed in: expiries and presence flags, never a token value, the cookie, the secret or the keys', async () => {
    const response = await arena.guard(() => alice.fetch('/bff/diagnostics'));
    expect(response.status).toBe(200);
    const text = await response.text();
    for (const secret of await secretsOf(arena, alice)) expect(text.includes(secret), `diagnostics contains a secret (${secret.slice(0, 12)}…)`).toBe(false);
    const { session } = JSON.parse(text) as { session: Record<string, Record<string, unknown>> };
    const auth = (await authOf(arena.stack.bff, alice))!;
    expect(session['accessToken']).toEqual({ present: true, type: 'Bearer', expiresAt: new Date(auth.tokens.expiresAt * 1000).toISOString(), expiresInSeconds: expect.any(Number) });
    expect(session['refreshToken']).toMatchObject({ present: true });
    expect(session['idToken']).toEqual({ present: true });
    expect(session['sub']).toBe('alice');
    // Nothing that looks like a JWT or a long opaque value anywhere.
    expect(text).not.toMatch(/eyJ[\w-]{10,}/);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('after a refresh: the new expiry, still no token', async () => {
    await expireAccessToken(arena.stack.bff, alice);
    expect((await alice.fetch('/api/todos')).status).toBe(200);
    const response = await arena.guard(() => alice.fetch('/bff/diagnostics'));
    const text = await response.text();
    for (const secret of await secretsOf(arena, alice)) expect(text.includes(secret)).toBe(false);
    const { session } = JSON.parse(text) as { session: { accessToken: { expiresInSeconds: number } } };
    expect(session.accessToken.expiresInSeconds).toBeGreaterThan(60);
  });
});

describe('the default follows NODE_ENV', () => {
  let on: Arena;
  let off: Arena;
  beforeAll(async () => {
    const saved = process.env['NODE_ENV'];
    process.env['NODE_ENV'] = 'development';
    try {
      on = await startArena();
      off = await startArena({ bff: { diagnostics: false } });
    } finally {
      process.env['NODE_ENV'] = saved;
    }
  });
  afterAll(async () => {
    await on?.stop();
    await off?.stop();
  });

  it('NODE_ENV=development turns it on by default', async () => {
    expect((await on.sentinel.fetch('/bff/diagnostics')).status).toBe(200);
  });

  it('diagnostics: false wins over NODE_ENV=development (404)', async () => {
    const response = await off.guard(() => off.sentinel.fetch('/bff/diagnostics'));
    expect(response.status).toBe(404);
  });
});

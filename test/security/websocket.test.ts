/**
 * Attack suite: WebSocket proxying (`ws: true` routes, src/proxy/websocket-
 * proxy.ts). A browser cannot add `X-CSRF` to a handshake and WebSockets are
 * not bound by the same-origin policy, so cross-site WebSocket hijacking is
 * stopped by requiring `Origin` to equal baseUrl exactly, before the session
 * is even read. Then the session must exist, the path must stay below the
 * route, and the upstream gets the session's bearer token instead of the
 * browser's cookie.
 *
 * The upstream is a recording server that answers 101 to any upgrade. Every
 * refusal: the status, no upgrade reaches the upstream, no session record
 * created or changed, the process still healthy.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startArena, startUpstream, wsHandshake, type Arena, type Upstream } from '../helpers/attack.ts';
import { BffClient } from '../helpers/bff-client.ts';
import { authOf, expireAccessToken } from '../helpers/sessions.ts';

let arena: Arena;
let upstream: Upstream;
let alice: BffClient;
let aliceCookie: string;

beforeAll(async () => {
  upstream = await startUpstream();
  arena = await startArena({
    bff: ({ api }) => ({
      apis: [
        { path: '/api/todos', target: `${api.url}/todos`, token: 'user' },
        { path: '/ws/live', target: `${upstream.url}/socket`, token: 'user', ws: true },
        { path: '/api/plain', target: `${upstream.url}/plain`, token: 'user' },
      ],
    }),
  });
  // What an application does: the BFF's upgrade handler, and refuse whatever it does not take.
  arena.stack.server.on('upgrade', (req, socket, head) => {
    if (!arena.stack.bff.upgrade(req, socket, head)) socket.destroy();
  });
  alice = new BffClient(arena.baseUrl);
  await alice.login('alice');
  aliceCookie = alice.jar.cookieHeader(arena.baseUrl)!;
});
afterAll(async () => {
  await arena?.stop();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

const handshake = (path: string, headers: Record<string, string>) => wsHandshake(arena.baseUrl, path, headers);

describe('cross-site WebSocket hijacking: Origin must be baseUrl', () => {
  const origins: Array<[string, (base: string, provider: string) => string | undefined]> = [
    ['no Origin', () => undefined],
    ['a foreign Origin', () => 'https://evil.com'],
    ['Origin: null', () => 'null'],
    ['the provider origin (same site, other port)', (_b, p) => p],
    ['baseUrl with a trailing slash', (b) => `${b}/`],
    ['baseUrl upper-cased', (b) => b.toUpperCase()],
    ['baseUrl as a prefix of an attacker host', (b) => `${b}.evil.com`],
    ['baseUrl over https', (b) => b.replace('http:', 'https:')],
  ];

  it.each(origins)('%s → 403 even with a valid session', async (_name, make) => {
    const origin = make(arena.baseUrl, arena.stack.provider.issuer);
    const result = await arena.guard(() => handshake('/ws/live', { cookie: aliceCookie, ...(origin === undefined ? {} : { origin }) }));
    expect(upstream.upgrades).toEqual([]);
    expect(result.status).toBe(403);
  });
});

describe('the handshake needs a session and a clean path', () => {
  const mac = (id: string) => createHmac('sha256', 'x'.repeat(32)).update(id).digest('base64url');

  it('no session → 401', async () => {
    const result = await arena.guard(() => handshake('/ws/live', { origin: arena.baseUrl }));
    expect(upstream.upgrades).toEqual([]);
    expect(result.status).toBe(401);
  });

  it('a forged session cookie → 401', async () => {
    const id = randomBytes(32).toString('base64url');
    const result = await arena.guard(() => handshake('/ws/live', { origin: arena.baseUrl, cookie: `portcullis=${id}.${mac(id)}` }));
    expect(upstream.upgrades).toEqual([]);
    expect(result.status).toBe(401);
  });

  it("a destroyed session's cookie → 401", async () => {
    const tab = new BffClient(arena.baseUrl);
    await tab.login('alice');
    const cookie = tab.jar.cookieHeader(arena.baseUrl)!;
    const logoutUrl = (await tab.user()).body['logoutUrl'] as string;
    expect((await tab.fetch(logoutUrl, { csrf: false })).status).toBe(302);
    const result = await arena.guard(() => handshake('/ws/live', { origin: arena.baseUrl, cookie }));
    expect(upstream.upgrades).toEqual([]);
    expect(result.status).toBe(401);
  });

  it.each(['/ws/live/../admin', '/ws/live/%2e%2e/admin', '/ws/live/..%2fadmin', '/ws/live//evil', '/ws/live/x%00'])('%s → 400', async (path) => {
    const result = await arena.guard(() => handshake(path, { origin: arena.baseUrl, cookie: aliceCookie }));
    expect(upstream.upgrades).toEqual([]);
    expect(result.status).toBe(400);
  });

  it('an upgrade on a route without ws: true is not proxied', async () => {
    const attempt = await arena.guard(() => handshake('/api/plain/x', { origin: arena.baseUrl, cookie: aliceCookie, 'x-csrf': '1' }).catch((err: NodeJS.ErrnoException) => err.code));
    expect(upstream.upgrades).toEqual([]);
    expect(typeof attempt === 'string' ? attempt : (attempt as { status: number }).status).not.toBe(101);
  });
});

describe('the accepted handshake', () => {
  it('right Origin + session → 101; the upstream gets the session bearer token and no browser credentials', async () => {
    const token = (await authOf(arena.stack.bff, alice))!.tokens.accessToken;
    const result = await arena.guard(() =>
      handshake('/ws/live/room-1?x=1', {
        origin: arena.baseUrl,
        cookie: aliceCookie,
        // Browser-side credentials the upstream must never see.
        authorization: 'Bearer forged-by-the-page',
        'x-csrf': '1',
        'x-forwarded-host': 'evil.com',
        'x-forwarded-for': '203.0.113.66',
      }),
    );
    expect(result.status).toBe(101);
    expect(upstream.upgrades).toHaveLength(1);
    const seen = upstream.upgrades[0]!;
    expect(seen.url).toBe('/socket/room-1?x=1');
    expect(seen.headers['authorization']).toBe(`Bearer ${token}`);
    expect(seen.headers['cookie']).toBeUndefined();
    expect(seen.headers['x-csrf']).toBeUndefined();
    expect(seen.headers['x-forwarded-host']).toBe(new URL(arena.baseUrl).host);
    expect(String(seen.headers['x-forwarded-for'])).not.toContain('203.0.113.66');
    expect(JSON.stringify(seen.headers)).not.toContain(aliceCookie.split('=')[1]!);
  });

  it('with an expired access token, the handshake carries a refreshed one (never the stale token)', async () => {
    const tab = new BffClient(arena.baseUrl);
    await tab.login('alice');
    const stale = (await expireAccessToken(arena.stack.bff, tab)).tokens.accessToken;
    const result = await handshake('/ws/live', { origin: arena.baseUrl, cookie: tab.jar.cookieHeader(arena.baseUrl)! });
    expect(result.status).toBe(101);
    const fresh = (await authOf(arena.stack.bff, tab))!.tokens.accessToken;
    expect(fresh).not.toBe(stale);
    expect(upstream.upgrades.map((u) => u.headers['authorization'])).toEqual([`Bearer ${fresh}`]);
    await arena.expectHealthy();
  });
});

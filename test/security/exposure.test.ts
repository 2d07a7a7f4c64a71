/**
 * Attack suite: what reaches the browser (issue 12.4, 12.6, 12.7).
 *
 * - `/bff/user` never shows the provider's session id (`sid`), nor protocol
 *   claims: an injected script could read them. `user.claims` chooses.
 * - An upstream API's response headers that act on the BFF's whole origin
 *   (Clear-Site-Data, HSTS, Alt-Svc, CORS, NEL, cookies…) never reach the
 *   browser; per-route `responseHeaders` adds to or keeps from the list.
 * - Another spelling of a BFF or API path (`/%62ff/user`, `//bff/user`,
 *   `/x/../bff/user`) is answered by the BFF, never by the SPA fallback.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawHttp, startArena, type Arena } from '../helpers/attack.ts';
import { BffClient } from '../helpers/bff-client.ts';
import { tokensOf } from '../helpers/bff-harness.ts';

/** Headers the hostile upstream sends with every answer. */
const HOSTILE: Record<string, string> = {
  'set-cookie': 'portcullis=stolen; Path=/',
  'set-cookie2': 'x=1',
  'clear-site-data': '"cookies", "storage"',
  'strict-transport-security': 'max-age=63072000; includeSubDomains; preload',
  'alt-svc': 'h3=":443"; ma=86400',
  'public-key-pins': 'pin-sha256="x"; max-age=1',
  nel: '{"report_to":"x","max_age":86400}',
  'report-to': '{"group":"x","max_age":86400,"endpoints":[{"url":"https://evil.example/r"}]}',
  'reporting-endpoints': 'x="https://evil.example/r"',
  'accept-ch': 'Sec-CH-UA-Model',
  'origin-agent-cluster': '?0',
  'service-worker-allowed': '/',
  'access-control-allow-origin': 'https://evil.example',
  'access-control-allow-credentials': 'true',
  'access-control-allow-methods': 'GET, DELETE',
  'access-control-allow-headers': 'x-csrf',
  'access-control-expose-headers': 'authorization',
  'x-internal': 'secret-topology',
};
/** Headers an API legitimately sends: they pass. */
const SAFE: Record<string, string> = { 'content-type': 'application/json', etag: '"v1"', 'cache-control': 'private, max-age=0', 'x-request-id': 'r-1', 'content-language': 'en' };

let arena: Arena;
let hostile: Server;
let hostileUrl: string;
let hostileRequests = 0;
let challenge = 'Bearer error="insufficient_scope", scope="todos:write"';
beforeAll(async () => {
  hostile = createServer((_req, res) => {
    hostileRequests++;
    res.writeHead(401, { ...HOSTILE, ...SAFE, 'www-authenticate': challenge });
    res.end('{}');
  });
  await new Promise<void>((r) => hostile.listen(0, 'localhost', r));
  hostileUrl = `http://localhost:${(hostile.address() as AddressInfo).port}`;
  arena = await startArena({
    spaDir: undefined,
    bff: {
      apis: [
        { path: '/api/hostile', target: `${hostileUrl}/x`, token: 'none' },
        { path: '/api/tuned', target: `${hostileUrl}/x`, token: 'none', responseHeaders: { keep: ['access-control-allow-origin'], remove: ['x-internal'] } },
      ],
    },
  });
});
afterAll(async () => {
  await arena?.stop();
  await new Promise<void>((r) => hostile.close(() => r()));
});

describe('/bff/user shows no session or protocol claims', () => {
  it('hides sid, auth_time and the token claims by default, though the ID token has them', async () => {
    const body = (await arena.sentinel.user()).body as { claims: Record<string, unknown> };
    const idToken = decodeJwt((await tokensOf(arena.stack, arena.sentinel)).idToken);
    expect(idToken['sid']).toBeTruthy();
    for (const name of ['sid', 'session_state', 'auth_time', 'nonce', 'at_hash', 'iss', 'aud', 'exp', 'iat', 'jti', 'azp']) expect(body.claims, name).not.toHaveProperty(name);
    expect(body.claims).toMatchObject({ sub: 'bob' });
  });

  describe('user.claims', () => {
    let listed: Arena;
    let mapped: Arena;
    beforeAll(async () => {
      listed = await startArena({ bff: { user: { claims: ['sub', 'email', 'sid'] } } });
      mapped = await startArena({ bff: { user: { claims: (c) => ({ displayName: c['name'], isAdmin: false }) } } });
    });
    afterAll(async () => {
      await listed?.stop();
      await mapped?.stop();
    });

    it('a list shows exactly those claims (sid only when asked)', async () => {
      const tab = await BffClient.signedIn(listed.baseUrl, 'alice');
      const { claims } = (await tab.user()).body as { claims: Record<string, unknown> };
      expect(Object.keys(claims).sort()).toEqual(['email', 'sid', 'sub']);
    });

    it('a function maps the claims to what the SPA sees', async () => {
      const tab = await BffClient.signedIn(mapped.baseUrl, 'alice');
      expect((await tab.user()).body['claims']).toEqual({ displayName: 'Alice Anderson', isAdmin: false });
    });
  });
});

describe('upstream response headers that act on the whole origin', () => {
  it('are removed, each of them; ordinary headers and Bearer challenges pass', async () => {
    const response = await arena.sentinel.fetch('/api/hostile');
    expect(response.status).toBe(401);
    for (const name of Object.keys(HOSTILE).filter((h) => h !== 'x-internal')) expect(response.headers.get(name), name).toBeNull();
    expect(response.headers.getSetCookie()).toEqual([]);
    for (const [name, value] of Object.entries(SAFE)) expect(response.headers.get(name), name).toBe(value);
    expect(response.headers.get('x-internal')).toBe('secret-topology');
    expect(response.headers.get('www-authenticate')).toBe(challenge);
    // The BFF's own session cookie survived the hostile Set-Cookie and Clear-Site-Data.
    await arena.expectHealthy();
  });

  it('a password-prompting challenge (Basic, Negotiate) is removed: no browser dialog on the BFF origin', async () => {
    for (const scheme of ['Basic realm="internal"', 'Negotiate', 'Digest realm="x", nonce="y"', 'NTLM']) {
      challenge = scheme;
      const response = await arena.sentinel.fetch('/api/hostile');
      expect(response.headers.get('www-authenticate'), scheme).toBeNull();
    }
    challenge = 'Bearer error="insufficient_scope", scope="todos:write"';
  });

  it('a route can keep some (never Set-Cookie) and remove more', async () => {
    const response = await arena.sentinel.fetch('/api/tuned');
    expect(response.headers.get('access-control-allow-origin')).toBe('https://evil.example');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(response.headers.get('x-internal')).toBeNull();
    expect(response.headers.getSetCookie()).toEqual([]);
  });
});

describe('other spellings of BFF and API paths', () => {
  const port = () => new URL(arena.baseUrl).port;
  const get = async (path: string) => {
    const cookie = arena.sentinel.jar.cookieHeader(arena.baseUrl)!;
    const exchange = await rawHttp(arena.baseUrl, `GET ${path} HTTP/1.1\r\nHost: localhost:${port()}\r\nCookie: ${cookie}\r\nX-CSRF: 1\r\nAccept: text/html\r\nConnection: close\r\n\r\n`);
    return { status: exchange.status, body: exchange.raw.slice(exchange.raw.indexOf('\r\n\r\n') + 4), head: exchange.raw.slice(0, exchange.raw.indexOf('\r\n\r\n')) };
  };
  const bffSpellings = ['/%62ff/user', '/%62%66%66/user', '/bff%2Fuser', '//bff/user', '/x/../bff/user', '/./bff/user', '/bff/./user', '/%2e/bff/user'];
  for (const path of bffSpellings) {
    it(`${path} → 404 JSON from the BFF, not the SPA's index.html`, async () => {
      const raw = await arena.guard(() => get(path));
      expect(raw.status).toBe(404);
      expect(raw.body).toMatch(/"error":"not_found"/);
      expect(raw.body).not.toMatch(/<html/i);
      expect(raw.head).toMatch(/^cache-control: no-store$/im);
    });
  }
  const apiSpellings = ['/%61pi/hostile', '//api/hostile', '/x/../api/hostile', '/api/./hostile', '/api/%68ostile'];
  for (const path of apiSpellings) {
    it(`${path} → 400 from the BFF, nothing proxied, no SPA page`, async () => {
      const before = hostileRequests;
      const raw = await arena.guard(() => get(path));
      expect(raw.status).toBe(400);
      expect(raw.body).toMatch(/"error":"invalid_request"/);
      expect(hostileRequests).toBe(before);
    });
  }
  it('an ordinary SPA path with percent-encoding still reaches the application', async () => {
    const raw = await get('/search%20results');
    expect(raw.status).not.toBe(400);
    expect(raw.body).not.toMatch(/"error":"invalid_request"/);
  });
});

describe('front-channel logout is opt-in', () => {
  it('without logout.frontchannel, GET /bff/frontchannel-logout is a 404 and ends nothing', async () => {
    const sid = String(decodeJwt((await tokensOf(arena.stack, arena.sentinel)).idToken)['sid']);
    const raw = await arena.guard(() => fetch(`${arena.baseUrl}/bff/frontchannel-logout?iss=${encodeURIComponent(arena.stack.provider.issuer)}&sid=${encodeURIComponent(sid)}`));
    expect(raw.status).toBe(404);
  });
});

/**
 * Attack suite: Host header games. The BFF builds every absolute URL from the
 * configured `baseUrl` (redirect_uri, post_logout_redirect_uri, the returnTo
 * redirect, X-Forwarded-Host for the APIs) and never from `Host`, an
 * absolute-form request target or X-Forwarded-* (the demo app does not set
 * `app.proxy`). A foreign Host therefore cannot turn a login into a code
 * sent to the attacker (RFC 9700 §4.1 redirect URI manipulation) nor poison
 * a cached redirect. Every case: the URLs stay on baseUrl, no session record
 * created or changed, the process still healthy.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pendingLogin, rawHttp, type Arena, type Upstream, startEchoArena, type EchoArena } from '../helpers/attack.ts';
import { BffClient } from '../helpers/bff-client.ts';

let arena: Arena;
let echo: Upstream;

let setup: EchoArena;
beforeAll(async () => {
  setup = await startEchoArena();
  ({ arena, echo } = setup);
});
afterAll(() => setup?.stop());
beforeEach(() => echo.reset());

/** Header sets that try to make the BFF believe it is somewhere else. */
const spoofs: Array<[string, Record<string, string>]> = [
  ['Host: evil.com', { host: 'evil.com' }],
  ['Host: evil.com with the BFF port', { host: 'evil.com:{port}' }],
  ['X-Forwarded-Host + X-Forwarded-Proto', { 'x-forwarded-host': 'evil.com', 'x-forwarded-proto': 'https' }],
  ['Forwarded: host=evil.com;proto=https', { forwarded: 'host=evil.com;proto=https' }],
  ['X-Original-Host / X-Host', { 'x-original-host': 'evil.com', 'x-host': 'evil.com', 'x-forwarded-server': 'evil.com' }],
  ['everything at once', { host: 'evil.com', 'x-forwarded-host': 'evil.com', 'x-forwarded-proto': 'https', 'x-forwarded-port': '443', forwarded: 'host=evil.com' }],
];

/** A raw GET with the spoofing headers (fetch cannot change Host). */
function get(path: string, headers: Record<string, string>, cookie?: string) {
  const port = new URL(arena.baseUrl).port;
  const lines = Object.entries({ host: `localhost:${port}`, ...headers }).map(([k, v]) => `${k}: ${v.replace('{port}', port)}`);
  if (cookie) lines.push(`cookie: ${cookie}`, 'x-csrf: 1');
  return rawHttp(arena.baseUrl, `GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\nConnection: close\r\n\r\n`);
}
const locationOf = (raw: string): URL => {
  const value = /\r\nlocation: ([^\r\n]+)/i.exec(raw)?.[1];
  expect(value, 'a Location header').toBeTruthy();
  return new URL(value!);
};

describe('a foreign Host never changes the URLs the BFF builds', () => {
  it.each(spoofs)('/bff/login with %s: redirect_uri stays on baseUrl', async (_name, headers) => {
    const exchange = await arena.guard(() => get('/bff/login', headers), { newStates: 1 });
    expect(exchange.status).toBe(302);
    const authorize = locationOf(exchange.raw);
    expect(authorize.origin).toBe(arena.stack.provider.issuer);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${arena.baseUrl}/bff/callback`);
    expect(exchange.raw).not.toContain('evil.com');
  });

  it.each(spoofs)('/bff/callback with %s: the login succeeds and lands on baseUrl', async (_name, headers) => {
    const client = new BffClient(arena.baseUrl);
    const login = await pendingLogin(client, 'alice', '/after');
    const exchange = await get(login.callbackPath, headers, client.jar.cookieHeader(arena.baseUrl));
    expect(exchange.status, exchange.raw.slice(0, 300)).toBe(302);
    expect(locationOf(exchange.raw).href).toBe(`${arena.baseUrl}/after`);
    await arena.expectHealthy();
  });

  it.each(spoofs)('/bff/logout with %s: post_logout_redirect_uri stays on baseUrl', async (_name, headers) => {
    const tab = new BffClient(arena.baseUrl);
    await tab.login('alice');
    const logoutUrl = (await tab.user()).body['logoutUrl'] as string;
    const exchange = await get(logoutUrl, headers, tab.jar.cookieHeader(arena.baseUrl));
    expect(exchange.status).toBe(302);
    const endSession = locationOf(exchange.raw);
    expect(endSession.origin).toBe(arena.stack.provider.issuer);
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${arena.baseUrl}/`);
    await arena.expectHealthy();
  });

  it.each(spoofs)('/bff/logout without a session with %s: redirects onto baseUrl', async (_name, headers) => {
    const exchange = await arena.guard(() => get('/bff/logout?returnTo=%2Fhome', headers));
    expect(exchange.status).toBe(302);
    expect(locationOf(exchange.raw).href).toBe(`${arena.baseUrl}/home`);
  });

  it.each(spoofs)('proxied call with %s: the API sees its own Host and baseUrl as X-Forwarded-Host', async (_name, headers) => {
    const exchange = await arena.guard(() => get('/api/echo/x', headers, arena.sentinel.jar.cookieHeader(arena.baseUrl)));
    expect(exchange.status).toBe(200);
    expect(echo.requests).toHaveLength(1);
    const seen = echo.requests[0]!.headers;
    expect(seen.host).toBe(new URL(echo.url).host);
    expect(seen['x-forwarded-host']).toBe(new URL(arena.baseUrl).host);
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['forwarded']).toBeUndefined();
    for (const name of ['x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'forwarded']) expect(String(seen[name] ?? '')).not.toContain('evil');
  });
});

describe('absolute-form request targets and missing Host', () => {
  it('GET http://evil.com/bff/login: redirect_uri stays on baseUrl', async () => {
    const exchange = await arena.guard(() => rawHttp(arena.baseUrl, 'GET http://evil.com/bff/login HTTP/1.1\r\nHost: evil.com\r\nConnection: close\r\n\r\n'), { newStates: 1 });
    expect(exchange.status).toBe(302);
    expect(locationOf(exchange.raw).searchParams.get('redirect_uri')).toBe(`${arena.baseUrl}/bff/callback`);
  });

  it('GET http://evil.com/api/echo/x: proxied to the configured target, not to evil.com', async () => {
    const cookie = arena.sentinel.jar.cookieHeader(arena.baseUrl)!;
    const exchange = await arena.guard(() => rawHttp(arena.baseUrl, `GET http://evil.com/api/echo/x HTTP/1.1\r\nHost: evil.com\r\nCookie: ${cookie}\r\nX-CSRF: 1\r\nConnection: close\r\n\r\n`));
    expect(exchange.status).toBe(200);
    expect(echo.requests.map((r) => [r.url, r.headers.host])).toEqual([['/echo/x', new URL(echo.url).host]]);
  });

  it('HTTP/1.1 without a Host header → 400 from Node', async () => {
    const exchange = await arena.guard(() => rawHttp(arena.baseUrl, 'GET /bff/login HTTP/1.1\r\nConnection: close\r\n\r\n'));
    expect(exchange.status).toBe(400);
  });

  it('two Host headers: refused, or the redirect_uri still on baseUrl', async () => {
    const exchange = await arena.guard(() => rawHttp(arena.baseUrl, 'GET /bff/login HTTP/1.1\r\nHost: localhost\r\nHost: evil.com\r\nConnection: close\r\n\r\n'), { newStates: 1 });
    if (exchange.status !== 400) {
      expect(exchange.status).toBe(302);
      expect(locationOf(exchange.raw).searchParams.get('redirect_uri')).toBe(`${arena.baseUrl}/bff/callback`);
    }
  });
});

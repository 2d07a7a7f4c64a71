/**
 * Attack suite: cross-site request forgery against every data-returning and
 * state-changing route (draft-ietf-oauth-browser-based-apps §6.1.3.2: the
 * BFF must make sure the request comes from its own frontend). The defence
 * (src/middleware/csrf-header.ts): `X-CSRF: 1` (a header a cross-site page
 * cannot add without a CORS preflight the BFF never grants), a present
 * `Origin` equal to baseUrl, and `Sec-Fetch-Site` not cross-site/same-site.
 *
 * The victim is signed in and its access token is already expired: a
 * refused request must not even refresh it (the CSRF check comes before any
 * token work). Every refusal: 403 csrf_required, nothing reaches the API, no
 * refresh grant, no CORS header, no session record created or changed, the
 * process still healthy.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startArena, type Arena } from '../helpers/attack.ts';
import { BffClient } from '../helpers/bff-client.ts';
import { expireAccessToken } from '../helpers/sessions.ts';

let arena: Arena;
let victim: BffClient;
let providerOrigin: string;

beforeAll(async () => {
  arena = await startArena({ bff: ({ api }) => ({ diagnostics: true, apis: [{ path: '/api/todos', target: `${api.url}/todos`, token: 'user' }] }) });
  providerOrigin = arena.stack.provider.issuer;
  victim = new BffClient(arena.baseUrl);
  await victim.login('alice');
  await expireAccessToken(arena.stack.bff, victim);
});
afterAll(() => arena?.stop());
beforeEach(() => {
  arena.stack.api.requests.length = 0;
  arena.stack.provider.resetCounts();
});

/** Every route that returns user data or changes state, with the methods a page could use. */
const routes: Array<[string, string, string?]> = [
  ['GET', '/bff/user'],
  ['HEAD', '/bff/user'],
  ['GET', '/bff/diagnostics'],
  ['GET', '/api/todos'],
  ['HEAD', '/api/todos'],
  ['POST', '/api/todos', '{"title":"forged"}'],
  ['PUT', '/api/todos/1', '{"title":"forged"}'],
  ['PATCH', '/api/todos/1', '{"done":true}'],
  ['DELETE', '/api/todos/1'],
];

/** Header sets a cross-site attacker (or a careless client) could produce; functions of the arena's origins. */
type Headers = (o: { base: string; port: string; provider: string }) => Record<string, string>;
const variants: Array<[string, Headers]> = [
  ['no X-CSRF', () => ({})],
  ['X-CSRF: 0', () => ({ 'x-csrf': '0' })],
  ['X-CSRF: true', () => ({ 'x-csrf': 'true' })],
  ['X-CSRF: yes', () => ({ 'x-csrf': 'yes' })],
  ['X-CSRF: 01', () => ({ 'x-csrf': '01' })],
  ['X-CSRF: 2', () => ({ 'x-csrf': '2' })],
  ['X-CSRF empty', () => ({ 'x-csrf': '' })],
  ['X-CSRF: "1, 1" (two headers joined)', () => ({ 'x-csrf': '1, 1' })],
  ['X-Csrf-Token: 1 (another header name)', () => ({ 'x-csrf-token': '1' })],
  ['a cross-site Origin', () => ({ 'x-csrf': '1', origin: 'https://evil.com' })],
  ['Origin: null (sandboxed iframe, data: URL)', () => ({ 'x-csrf': '1', origin: 'null' })],
  ['the provider origin (same site, other port)', (o) => ({ 'x-csrf': '1', origin: o.provider })],
  ['baseUrl with a trailing slash', (o) => ({ 'x-csrf': '1', origin: `${o.base}/` })],
  ['baseUrl over https', (o) => ({ 'x-csrf': '1', origin: `https://localhost:${o.port}` })],
  ['same server under another host name', (o) => ({ 'x-csrf': '1', origin: `http://127.0.0.1:${o.port}` })],
  ['baseUrl as a prefix of an attacker host', (o) => ({ 'x-csrf': '1', origin: `${o.base}.evil.com` })],
  ['Sec-Fetch-Site: cross-site', () => ({ 'x-csrf': '1', 'sec-fetch-site': 'cross-site' })],
  ['Sec-Fetch-Site: same-site', () => ({ 'x-csrf': '1', 'sec-fetch-site': 'same-site' })],
  ['a cross-site form post (urlencoded, Origin, Sec-Fetch-Site)', () => ({ origin: 'https://evil.com', 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' })],
  ['a cross-site text/plain "simple" request', () => ({ origin: 'https://evil.com', 'content-type': 'text/plain' })],
];

describe('CSRF: every route refuses every variant', () => {
  it.each(variants)('%s → 403 on every route', async (name, make) => {
    const headers = make({ base: arena.baseUrl, port: new URL(arena.baseUrl).port, provider: providerOrigin });
    await arena.guard(async () => {
      for (const [method, path, body] of routes) {
        const response = await victim.fetch(path, {
          csrf: false,
          method,
          headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
          ...(body ? { body } : {}),
        });
        expect(response.status, `${name}: ${method} ${path}`).toBe(403);
        if (method !== 'HEAD') expect(((await response.json()) as { error: string }).error).toBe('csrf_required');
        expect(response.headers.get('access-control-allow-origin')).toBeNull();
        expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      }
    });
    expect(arena.stack.api.requests, name).toEqual([]);
    expect(arena.stack.provider.grantCounts()['refresh_token'] ?? 0, 'no refresh for a refused request').toBe(0);
  });

  it('a query parameter is not a header: ?x-csrf=1 → 403', async () => {
    const response = await arena.guard(() => victim.fetch('/bff/user?x-csrf=1&X-CSRF=1', { csrf: false }));
    expect(response.status).toBe(403);
  });

  it('control: the same requests with X-CSRF: 1 and the own Origin pass (and refresh the token once)', async () => {
    const user = await victim.fetch('/bff/user', { headers: { origin: arena.baseUrl, 'sec-fetch-site': 'same-origin' } });
    expect(user.status).toBe(200);
    const todos = await victim.fetch('/api/todos', { headers: { origin: arena.baseUrl } });
    expect(todos.status).toBe(200);
    expect(arena.stack.provider.grantCounts()['refresh_token']).toBe(1);
  });
});

describe('CORS preflights are never granted', () => {
  it.each(['/bff/user', '/bff/diagnostics', '/api/todos', '/bff/logout'])('OPTIONS %s from a foreign origin gets no Access-Control-Allow-*', async (path) => {
    const response = await arena.guard(() =>
      victim.fetch(path, {
        csrf: false,
        method: 'OPTIONS',
        headers: { origin: 'https://evil.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-csrf' },
      }),
    );
    expect(response.status).toBeGreaterThanOrEqual(400);
    for (const [name] of response.headers) expect(name).not.toMatch(/^access-control-/);
    expect(arena.stack.api.requests).toEqual([]);
  });
});

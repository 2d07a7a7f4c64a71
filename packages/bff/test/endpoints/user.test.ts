/**
 * `GET /bff/user`: who is signed in, for same-origin requests carrying
 * `X-CSRF: 1` only, and never a token.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BffClient } from '../support/client.ts';
import { browse } from '../support/cookie-jar.ts';
import { startStack, type Stack } from '../support/harness.ts';
import { dump } from '../support/http.ts';
import { expectNoTokenIn, sessionIdOf, sessionRecord, tokensOf } from '../support/session.ts';

let stack: Stack;
let alice: BffClient;
let bob: BffClient;

beforeAll(async () => {
  stack = await startStack();
  alice = new BffClient(stack.baseUrl);
  bob = new BffClient(stack.baseUrl);
  await alice.login('alice');
  await bob.login('bob');
});
afterAll(() => stack?.stop());

describe('GET /bff/user', () => {
  it('answers 200 with sub, the ID token claims (without protocol claims), expiresAt and a session-bound logoutUrl', async () => {
    const response = await alice.fetch('/bff/user');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { sub: string; claims: Record<string, unknown>; expiresAt: number; logoutUrl: string };
    // acr and authTime appear when the provider puts them in the ID token.
    expect(
      Object.keys(body)
        .filter((k) => k !== 'acr' && k !== 'authTime')
        .sort(),
    ).toEqual(['claims', 'expiresAt', 'logoutUrl', 'sub']);
    expect(body.sub).toBe('alice');

    const tokens = await tokensOf(stack, alice);
    const idClaims = decodeJwt(tokens.idToken);
    expect(idClaims['nonce']).toBeTruthy(); // the ID token has them…
    expect(body.claims).not.toHaveProperty('nonce'); // …the SPA does not get them
    expect(body.claims).not.toHaveProperty('at_hash');
    expect(body.claims).toMatchObject({ sub: 'alice', name: 'Alice Anderson', email: 'alice@example.com', email_verified: true, preferred_username: 'alice' });
    // Every claim shown comes from the ID token, unchanged.
    for (const [name, value] of Object.entries(body.claims)) expect(idClaims[name], name).toEqual(value);

    // expiresAt: unix seconds, in the future, no later than the idle timeout (1 day by default).
    const now = Math.floor(Date.now() / 1000);
    expect(Number.isInteger(body.expiresAt)).toBe(true);
    expect(body.expiresAt).toBeGreaterThan(now + 3600);
    expect(body.expiresAt).toBeLessThanOrEqual(now + 86_400 + 5);

    // logoutUrl carries the session's own logout id.
    const auth = await sessionRecord(stack, sessionIdOf(alice)!);
    expect(body.logoutUrl).toBe(`/bff/logout?sid=${encodeURIComponent(auth!.logoutId)}`);
    expect(auth!.logoutId).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  });

  it('gives each session its own logoutUrl, and the same one on every call', async () => {
    const a1 = (await alice.user()).body['logoutUrl'];
    const a2 = (await alice.user()).body['logoutUrl'];
    const b = (await bob.user()).body['logoutUrl'];
    expect(a1).toBe(a2);
    expect(b).not.toBe(a1);
    expect((await bob.user()).body['sub']).toBe('bob');
  });

  it('answers 401 unauthenticated without a session', async () => {
    const anonymous = new BffClient(stack.baseUrl);
    const response = await anonymous.fetch('/bff/user');
    expect(response.status).toBe(401);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ error: 'unauthenticated', error_description: expect.any(String) });
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('answers 403 csrf_required without X-CSRF: 1 (with and without a session)', async () => {
    for (const client of [alice, new BffClient(stack.baseUrl)]) {
      const response = await client.fetch('/bff/user', { csrf: false });
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ error: 'csrf_required', error_description: expect.any(String) });
    }
    for (const value of ['0', 'true', '', '1, 1', 'yes']) {
      const response = await alice.fetch('/bff/user', { csrf: false, headers: { 'x-csrf': value } });
      expect(response.status, `X-CSRF: ${JSON.stringify(value)}`).toBe(403);
      await response.body?.cancel();
    }
  });

  it('answers 403 to a cross-site Origin even with X-CSRF: 1, and 200 to its own Origin', async () => {
    for (const origin of ['https://evil.com', 'null', stack.baseUrl.replace('localhost', '127.0.0.1'), `${stack.baseUrl}.evil.com`, stack.provider.issuer]) {
      const response = await alice.fetch('/bff/user', { headers: { origin } });
      expect(response.status, origin).toBe(403);
      expect(((await response.json()) as { error: string }).error).toBe('csrf_required');
    }
    const own = await alice.fetch('/bff/user', { headers: { origin: stack.baseUrl } });
    expect(own.status).toBe(200);
  });

  it('answers 403 to Sec-Fetch-Site: cross-site (and same-site), 200 to same-origin and none', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const response = await alice.fetch('/bff/user', { headers: { 'sec-fetch-site': site } });
      expect(response.status, site).toBe(403);
      await response.body?.cancel();
    }
    for (const site of ['same-origin', 'none']) {
      const response = await alice.fetch('/bff/user', { headers: { 'sec-fetch-site': site } });
      expect(response.status, site).toBe(200);
      await response.body?.cancel();
    }
  });

  it('never puts a raw token in a response body or header (user, login walk, callback, errors)', async () => {
    const client = new BffClient(stack.baseUrl);
    const walk = await client.login('alice', 'alice', undefined, (u) => u.pathname === '/bff/callback');
    const callback = await client.fetch(new URL(walk.url).pathname + new URL(walk.url).search, { csrf: false });
    const callbackDump = await dump(callback);
    const tokens = await tokensOf(stack, client);
    expectNoTokenIn(callbackDump, tokens, 'callback');
    expectNoTokenIn(await dump(await client.fetch('/bff/user')), tokens, '/bff/user');
    expectNoTokenIn(await dump(await client.fetch('/bff/user', { csrf: false })), tokens, '/bff/user 403');
    expectNoTokenIn(await dump(await client.fetch('/bff/logout?sid=wrong', { csrf: false })), tokens, '/bff/logout 400');
    expectNoTokenIn(await dump(await client.fetch('/bff/nope')), tokens, '/bff/nope');
    const landing = await browse(client.jar, new URL('/', stack.baseUrl));
    expectNoTokenIn(await dump(landing.response), tokens, 'application page');
    // And the whole record the SPA gets is token-free even piecewise.
    const { body } = await client.user();
    expectNoTokenIn(JSON.stringify(body), tokens, 'user body');
  });

  it('answers 405 to other methods', async () => {
    const response = await alice.fetch('/bff/user', { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toContain('GET');
    await response.body?.cancel();
  });
});

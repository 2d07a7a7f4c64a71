/**
 * `GET /bff/callback`: only the browser that started a login can finish it,
 * once, with a code from the configured issuer and a verified ID token. Every
 * refusal is a 4xx that creates no session (no session cookie, no record).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BffMiddleware } from '../../src/index.ts';
import { BffClient } from '../support/client.ts';
import { browse } from '../support/cookie-jar.ts';
import { startBff, startStack, type Stack } from '../support/harness.ts';
import { dump, setCookiesFor } from '../support/http.ts';
import { authorizationUrl, loginUntilCallback } from '../support/login.ts';
import { expectNoTokenIn, memoryStore, sessionIdOf, sessionRecord, sessionsOf, tokensOf } from '../support/session.ts';
import { internalsOf } from '../../src/internals.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.stop());

/** Path and query of an absolute URL on the BFF. */
const local = (url: string | URL): string => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};

/** Replaces (or removes, with `undefined`) one query parameter of a URL. */
const withParam = (url: string, name: string, value: string | undefined): string => {
  const u = new URL(url);
  if (value === undefined) u.searchParams.delete(name);
  else u.searchParams.set(name, value);
  return u.href;
};

/**
 * Runs `attempt` and checks that it was refused with a 4xx JSON error and
 * that no session came of it: no session cookie set, no new record, no
 * new session for alice, and the tab still anonymous.
 */
async function expectRefused(client: BffClient, attempt: () => Promise<Response>, status = 400, error?: string): Promise<Record<string, unknown>> {
  const sizeBefore = memoryStore(stack).size;
  const aliceBefore = await sessionsOf(stack, 'alice');
  const response = await attempt();
  const body = (await response.json()) as Record<string, unknown>;
  expect(response.status, JSON.stringify(body)).toBe(status);
  if (error) expect(body['error']).toBe(error);
  expect(typeof body['error_description']).toBe('string');
  expect(response.headers.get('location')).toBeNull();
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(setCookiesFor(response, 'portcullis')).toEqual([]);
  // A refused callback may consume the login state, never add a record.
  expect(memoryStore(stack).size).toBeLessThanOrEqual(sizeBefore);
  expect(await sessionsOf(stack, 'alice')).toEqual(aliceBefore);
  return body;
}

describe('GET /bff/callback: success', () => {
  it('exchanges the code, creates a session under a new id and redirects (302) to the stored returnTo', async () => {
    const client = new BffClient(stack.baseUrl);
    const callback = await loginUntilCallback(client, 'alice', '/todos?tab=2');
    const before = await sessionsOf(stack, 'alice');
    const response = await client.fetch(local(callback), { csrf: false });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${stack.baseUrl}/todos?tab=2`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(setCookiesFor(response, 'portcullis')).toHaveLength(1);
    const id = sessionIdOf(client)!;
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const after = await sessionsOf(stack, 'alice');
    expect(after).toHaveLength(before.length + 1);
    expect(after).toContain(id);
    const auth = await sessionRecord(stack, id);
    expect(auth?.sub).toBe('alice');
    expect(auth?.tokens.accessToken).toBeTruthy();
    // The callback response carries no token.
    expectNoTokenIn(await dump(response), await tokensOf(stack, client), 'callback response');
    expect((await client.user()).status).toBe(200);
  });
});

describe('GET /bff/callback: refusals create no session', () => {
  it('refuses a callback without state', async () => {
    const client = new BffClient(stack.baseUrl);
    await expectRefused(client, () => client.fetch('/bff/callback?code=abc', { csrf: false }), 400, 'invalid_state');
  });

  it('refuses an unknown (forged) state, even with a binding cookie', async () => {
    const client = new BffClient(stack.baseUrl);
    const started = await authorizationUrl(client);
    const iss = encodeURIComponent(stack.provider.issuer);
    await expectRefused(client, () => client.fetch(`/bff/callback?code=forged&state=${'f'.repeat(32)}&iss=${iss}`, { csrf: false }), 400, 'invalid_state');
    // A state that looks like the real one but differs in one character.
    const real = started.searchParams.get('state')!;
    const forged = `${real.slice(0, -1)}${real.endsWith('a') ? 'b' : 'a'}`;
    await expectRefused(client, () => client.fetch(`/bff/callback?code=forged&state=${forged}&iss=${iss}`, { csrf: false }), 400, 'invalid_state');
  });

  it('refuses repeated parameters', async () => {
    const client = new BffClient(stack.baseUrl);
    const callback = await loginUntilCallback(client);
    const u = new URL(callback);
    const doubled = `${local(callback)}&state=${u.searchParams.get('state')}`;
    await expectRefused(client, () => client.fetch(doubled, { csrf: false }), 400);
    const doubledCode = `${local(callback)}&code=other`;
    await expectRefused(client, () => client.fetch(doubledCode, { csrf: false }), 400);
  });

  it('refuses a callback started in another browser (binding cookie missing or different), and the real browser can still finish', async () => {
    const victim = new BffClient(stack.baseUrl);
    const callback = await loginUntilCallback(victim, 'alice');

    // No binding cookie at all.
    const stranger = new BffClient(stack.baseUrl);
    await expectRefused(stranger, () => stranger.fetch(local(callback), { csrf: false }), 400, 'invalid_state');
    expect((await stranger.user()).status).toBe(401);

    // A binding cookie of its own (it started a login too), not the one the state is bound to.
    const attacker = new BffClient(stack.baseUrl);
    await authorizationUrl(attacker);
    expect(attacker.jar.get(stack.baseUrl, 'portcullis-login')).toBeTruthy();
    await expectRefused(attacker, () => attacker.fetch(local(callback), { csrf: false }), 400, 'invalid_state');
    expect((await attacker.user()).status).toBe(401);

    // A forged binding cookie value of the right shape.
    const forger = new BffClient(stack.baseUrl);
    forger.jar.setCookie(`portcullis-login=${'A'.repeat(43)}; Path=/`, stack.baseUrl);
    await expectRefused(forger, () => forger.fetch(local(callback), { csrf: false }), 400, 'invalid_state');

    // The failed attempts did not burn the victim's login.
    const done = await victim.fetch(local(callback), { csrf: false });
    expect(done.status).toBe(302);
    expect((await victim.user()).status).toBe(200);
  });

  it('refuses an error= answer from the provider (the user pressed Cancel) with its error code', async () => {
    const client = new BffClient(stack.baseUrl);
    const start = await client.navigate('/bff/login');
    const html = await start.response.text();
    const abort = /formaction="([^"]+)"/.exec(html)?.[1];
    expect(abort, 'the login form has a Cancel button').toBeTruthy();
    const cancelled = await browse(client.jar, new URL(abort!.replace(/&amp;/g, '&'), start.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({}),
      stopAt: (u) => u.pathname === '/bff/callback',
    });
    expect(cancelled.stopped).toBe(true);
    const callback = new URL(cancelled.url);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    const body = await expectRefused(client, () => client.fetch(local(callback), { csrf: false }), 400, 'access_denied');
    expect(String(body['error_description'])).toMatch(/refused/i);
    expect((await client.user()).status).toBe(401);
  });

  it('refuses a hand-made error= answer for a live state, and one with an unsafe error code', async () => {
    const client = new BffClient(stack.baseUrl);
    const state = (await authorizationUrl(client)).searchParams.get('state')!;
    const iss = encodeURIComponent(stack.provider.issuer);
    await expectRefused(client, () => client.fetch(`/bff/callback?error=server_error&state=${state}&iss=${iss}`, { csrf: false }), 400, 'server_error');
    // A silent-login answer (login_required…) is no error page: back to returnTo with error=, and still no session.
    const silentState = (await authorizationUrl(client)).searchParams.get('state')!;
    const silent = await client.fetch(`/bff/callback?error=login_required&state=${silentState}&iss=${iss}`, { csrf: false });
    expect(silent.status).toBe(302);
    expect(silent.headers.get('location')).toBe(`${stack.baseUrl}/?error=login_required`);
    expect(client.sessionCookie()).toBeUndefined();
    const state2 = (await authorizationUrl(client)).searchParams.get('state')!;
    const body = await expectRefused(client, () => client.fetch(`/bff/callback?error=%3Cscript%3E&error_description=%3Cb%3Ex&state=${state2}&iss=${iss}`, { csrf: false }), 400, 'access_denied');
    expect(body['error']).toBe('access_denied');
    // Reflected in the HTML page only escaped.
    const state3 = (await authorizationUrl(client)).searchParams.get('state')!;
    const page = await client.fetch(`/bff/callback?error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E&state=${state3}&iss=${iss}`, {
      csrf: false,
      headers: { accept: 'text/html' },
    });
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;');
  });

  it('refuses a wrong or missing iss (RFC 9207) and leaves the login usable with the right one', async () => {
    const client = new BffClient(stack.baseUrl);
    const callback = await loginUntilCallback(client);
    expect(new URL(callback).searchParams.get('iss')).toBe(stack.provider.issuer);
    await expectRefused(client, () => client.fetch(local(withParam(callback, 'iss', 'https://evil.example.com')), { csrf: false }), 400, 'invalid_request');
    await expectRefused(client, () => client.fetch(local(withParam(callback, 'iss', `${stack.provider.issuer}/`)), { csrf: false }), 400, 'invalid_request');
    // oidc-provider advertises authorization_response_iss_parameter_supported: iss is then required.
    await expectRefused(client, () => client.fetch(local(withParam(callback, 'iss', undefined)), { csrf: false }), 400, 'invalid_request');
    expect((await client.user()).status).toBe(401);
    const done = await client.fetch(local(callback), { csrf: false });
    expect(done.status).toBe(302);
  });

  it('refuses a forged code for a live state and consumes nothing usable', async () => {
    const client = new BffClient(stack.baseUrl);
    const callback = await loginUntilCallback(client);
    await expectRefused(client, () => client.fetch(local(withParam(callback, 'code', 'forged-code')), { csrf: false }), 400, 'invalid_grant');
    // The state was consumed by the failed exchange: the real code cannot be redeemed through it any more.
    await expectRefused(client, () => client.fetch(local(callback), { csrf: false }), 400, 'invalid_state');
    expect((await client.user()).status).toBe(401);
  });

  it('lets two logins started in two tabs of one browser both finish (the binding cookie is shared)', async () => {
    const browser = new BffClient(stack.baseUrl);
    const first = await loginUntilCallback(browser, 'alice', '/tab-1');
    const second = await authorizationUrl(browser, '/tab-2');
    // The second tab goes through the provider on its existing session.
    const walk = await browse(browser.jar, second, { stopAt: (u) => u.pathname === '/bff/callback' });
    expect(walk.stopped).toBe(true);
    const one = await browser.fetch(local(first), { csrf: false });
    expect(one.status).toBe(302);
    expect(one.headers.get('location')).toBe(`${stack.baseUrl}/tab-1`);
    const two = await browser.fetch(local(walk.url), { csrf: false });
    expect(
      two.status,
      JSON.stringify(
        await two
          .clone()
          .json()
          .catch(() => null),
      ),
    ).toBe(302);
    expect(two.headers.get('location')).toBe(`${stack.baseUrl}/tab-2`);
    expect((await browser.user()).status).toBe(200);
  });

  it('never logs anyone in with a replayed callback URL (fresh browser, same browser after login)', async () => {
    const client = new BffClient(stack.baseUrl);
    const callback = await loginUntilCallback(client);
    const first = await client.fetch(local(callback), { csrf: false });
    expect(first.status).toBe(302);
    const id = sessionIdOf(client)!;
    const aliceSessions = await sessionsOf(stack, 'alice');

    const fresh = new BffClient(stack.baseUrl);
    await expectRefused(fresh, () => fresh.fetch(local(callback), { csrf: false }), 400, 'invalid_state');
    expect((await fresh.user()).status).toBe(401);
    expect(fresh.sessionCookie()).toBeUndefined();

    // The same browser, with its session and its (spent) binding: nothing changes.
    await expectRefused(client, () => client.fetch(local(callback), { csrf: false }), 400, 'invalid_state');
    expect(sessionIdOf(client)).toBe(id);
    expect(await sessionsOf(stack, 'alice')).toEqual(aliceSessions);
    expect((await client.user()).status).toBe(200);

    // A fresh browser that replays the binding cookie too (it was cleared, but copied before).
    const copycat = new BffClient(stack.baseUrl);
    const other = new BffClient(stack.baseUrl);
    const callback2 = await loginUntilCallback(other);
    const binding = other.jar.get(stack.baseUrl, 'portcullis-login')!;
    expect((await other.fetch(local(callback2), { csrf: false })).status).toBe(302);
    copycat.jar.setCookie(`portcullis-login=${binding}; Path=/`, stack.baseUrl);
    await expectRefused(copycat, () => copycat.fetch(local(callback2), { csrf: false }), 400, 'invalid_state');
    expect((await copycat.user()).status).toBe(401);
  });

  it('lets exactly one of several concurrent deliveries of the same callback log in, and exchanges the code once', async () => {
    const client = new BffClient(stack.baseUrl);
    const callback = await loginUntilCallback(client);
    const cookie = client.jar.cookieHeader(stack.baseUrl)!;
    const sessionsBefore = await sessionsOf(stack, 'alice');
    stack.provider.resetCounts();
    const responses = await Promise.all(Array.from({ length: 5 }, () => fetch(callback, { headers: { cookie }, redirect: 'manual' })));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([302, 400, 400, 400, 400]);
    expect(stack.provider.grantCounts()['authorization_code'] ?? 0).toBe(1);
    const winner = responses.find((r) => r.status === 302)!;
    const [value] = setCookiesFor(winner, 'portcullis');
    expect(value).toBeTruthy();
    expect(await sessionsOf(stack, 'alice')).toHaveLength(sessionsBefore.length + 1);
    for (const r of responses) expect(r.status === 302 || setCookiesFor(r, 'portcullis').length === 0).toBe(true);
    // The one session works (its tokens were not revoked by a second use of the code).
    const tab = new BffClient(stack.baseUrl);
    tab.jar.setCookie(value!, stack.baseUrl);
    expect((await tab.user()).status).toBe(200);
    expect((await tab.fetch('/api/echo')).status).toBe(200);
  });

  it('answers a refused callback with a readable HTML page when the browser asks for HTML', async () => {
    const client = new BffClient(stack.baseUrl);
    const response = await client.fetch('/bff/callback?code=x&state=unknown', { csrf: false, headers: { accept: 'text/html' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.text()).toContain('invalid_state');
  });
});

describe('GET /bff/callback: a failed ID token validation', () => {
  // A second BFF for the same client and redirect URI that accepts only ES256
  // ID tokens, while the test provider signs with RS256: every ID token fails.
  let strictBff: Awaited<ReturnType<typeof startBff>>;
  let strict: BffMiddleware;
  let strictUrl: string;

  beforeAll(async () => {
    strictBff = await startBff({
      issuer: stack.provider.issuer,
      clientId: stack.client.id,
      clientSecret: stack.client.secret,
      baseUrl: stack.baseUrl,
      idTokenAlgorithms: ['ES256'],
      session: { keys: ['k'.repeat(32)] },
    });
    ({ bff: strict, url: strictUrl } = strictBff);
  });
  afterAll(() => strictBff?.stop());

  it('refuses the login with 401 invalid_token and creates no session', async () => {
    const client = new BffClient(strictUrl);
    // The login starts on the strict BFF; the provider sends the browser to the registered
    // redirect URI (the stack's BFF port), which the test delivers to the strict BFF instead.
    const result = await client.navigate('/bff/login', { stopAt: (u) => u.pathname === '/bff/callback' });
    const html = await result.response.text();
    expect(html).toContain('name="password"');
    const action = /<form[^>]*action="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
    const done = await browse(client.jar, new URL(action, result.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login: 'alice', password: 'alice' }),
      stopAt: (u) => u.pathname === '/bff/callback',
    });
    expect(done.stopped).toBe(true);
    const store = internalsOf(strict).store as ReturnType<typeof internalsOf>['store'] & { size: number };
    const sizeBefore = store.size;
    const response = await client.fetch(local(done.url), { csrf: false });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(401);
    expect(body['error']).toBe('invalid_token');
    expect(String(body['error_description'])).toMatch(/ID token/);
    expect(setCookiesFor(response, 'portcullis')).toEqual([]);
    expect(store.size).toBeLessThan(sizeBefore); // the state is spent, nothing added
    expect(await (internalsOf(strict).store as { findIds(q: { sub: string }): Promise<string[]> }).findIds({ sub: 'alice' })).toEqual([]);
    expect((await client.user()).status).toBe(401);
    // Replaying it changes nothing.
    const replay = await client.fetch(local(done.url), { csrf: false });
    expect(replay.status).toBe(400);
    expect(setCookiesFor(replay, 'portcullis')).toEqual([]);
  });
});

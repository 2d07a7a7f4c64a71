/**
 * The session cookie the callback sets: its name and attributes (plain-http
 * localhost, and an https baseUrl behind a TLS-terminating proxy), a new id
 * at every login (no fixation), no token inside, and tampered values treated
 * as anonymous by the endpoints that read it.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionOptions } from '../../src/index.ts';
import { BffClient, formAction } from '../support/client.ts';
import { browse } from '../support/cookie-jar.ts';
import { startBff, startStack, type Stack } from '../support/harness.ts';
import { parseSetCookie, setCookiesFor, type ParsedSetCookie } from '../support/http.ts';
import { loginAgain, loginUntilCallback } from '../support/login.ts';
import { memoryStore, rawTokens, sessionIdOf, sessionRecord, sessionsOf, tokensOf } from '../support/session.ts';
import { internalsOf } from '../../src/internals.ts';

let stack: Stack;

const httpsSecret = randomBytes(16).toString('base64url');

beforeAll(async () => {
  // The https BFFs below are a second client of the same provider, registered at https origins.
  stack = await startStack({
    clients: [
      {
        client_id: 'https-bff',
        client_secret: httpsSecret,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: ['https://app.example.com/bff/callback', 'https://lax.example.com/bff/callback'],
        post_logout_redirect_uris: ['https://app.example.com/', 'https://lax.example.com/'],
      },
    ],
  });
});
afterAll(() => stack?.stop());

const local = (url: string): string => `${new URL(url).pathname}${new URL(url).search}`;
const SIGNED_VALUE = /^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/;

/** The one session Set-Cookie of a callback response, parsed. */
function sessionSetCookie(response: Response, name: string): ParsedSetCookie {
  const headers = setCookiesFor(response, name);
  expect(headers, `one Set-Cookie for ${name}`).toHaveLength(1);
  return parseSetCookie(headers[0]!);
}

describe('session cookie with a plain-http localhost baseUrl', () => {
  it('is "portcullis", HttpOnly, SameSite=Strict, Path=/, without Secure or Domain', async () => {
    const client = new BffClient(stack.baseUrl);
    const callback = await loginUntilCallback(client);
    const response = await client.fetch(local(callback), { csrf: false });
    expect(response.status).toBe(302);
    const cookie = sessionSetCookie(response, 'portcullis');
    expect(cookie.name).toBe('portcullis');
    expect(cookie.attributes.has('httponly')).toBe(true);
    expect(cookie.attributes.get('samesite')?.toLowerCase()).toBe('strict');
    expect(cookie.attributes.get('path')).toBe('/');
    expect(cookie.attributes.has('secure')).toBe(false);
    expect(cookie.attributes.has('domain')).toBe(false);
    expect(cookie.value).toMatch(SIGNED_VALUE);
    expect(response.headers.getSetCookie().some((c) => c.startsWith('__Host-'))).toBe(false);
  });

  it('holds no token: an opaque id and its MAC only', async () => {
    const client = new BffClient(stack.baseUrl);
    await client.login('alice');
    const value = client.sessionCookie()!;
    expect(value).toMatch(SIGNED_VALUE);
    const tokens = await tokensOf(stack, client);
    for (const token of rawTokens(tokens)) {
      expect(value.includes(token)).toBe(false);
      for (const part of token.split('.')) if (part.length >= 8) expect(value.includes(part)).toBe(false);
    }
    // Every cookie the tab holds for the BFF origin is token-free.
    const all = client.jar.cookieHeader(stack.baseUrl)!;
    for (const token of rawTokens(tokens)) expect(all.includes(token)).toBe(false);
  });
});

describe('a new session id at every login (no fixation)', () => {
  it('ignores a planted cookie: even a correctly signed id is replaced by a fresh one', async () => {
    const key = internalsOf(stack.bff).options.session.keys[0]!;
    const planted = randomBytes(32).toString('base64url');
    const client = new BffClient(stack.baseUrl);
    client.jar.setCookie(`portcullis=${planted}.${createHmac('sha256', key).update(planted).digest('base64url')}; Path=/`, stack.baseUrl);
    expect(sessionIdOf(client)).toBe(planted);
    await client.login('alice');
    const id = sessionIdOf(client)!;
    expect(id).not.toBe(planted);
    expect(await internalsOf(stack.bff).store.get(planted)).toBeUndefined();
    expect((await client.user()).body['sub']).toBe('alice');
  });

  it("changes the id when the same tab logs in again, and the old id's record is gone", async () => {
    const client = new BffClient(stack.baseUrl);
    await client.login('alice');
    const first = sessionIdOf(client)!;
    const firstCookie = client.jar.cookieHeader(stack.baseUrl)!;
    expect(await sessionRecord(stack, first)).toBeDefined();

    const again = await loginAgain(client, 'alice');
    expect(again.url).toBe(`${stack.baseUrl}/`);
    const second = sessionIdOf(client)!;
    expect(second).not.toBe(first);
    expect(await sessionRecord(stack, second)).toBeDefined();
    expect(await internalsOf(stack.bff).store.get(first)).toBeUndefined();
    expect(await sessionsOf(stack, 'alice')).not.toContain(first);
    // The first cookie no longer opens anything.
    const replay = await fetch(new URL('/bff/user', stack.baseUrl), { headers: { cookie: firstCookie, 'x-csrf': '1' } });
    expect(replay.status).toBe(401);
    expect((await client.user()).status).toBe(200);
  });

  it("replaces another user's session in the tab (bob then alice): new id, bob's record destroyed", async () => {
    const client = new BffClient(stack.baseUrl);
    await client.login('bob');
    const bobId = sessionIdOf(client)!;
    const callback = await (async () => {
      // A different user: the provider session has to go first, so start a fresh provider login in the same BFF tab.
      for (const c of client.jar.all()) if (c.name.startsWith('_session')) client.jar.setCookie(`${c.name}=; Max-Age=0; Path=${c.path}`, stack.provider.issuer);
      return loginUntilCallback(client, 'alice');
    })();
    const response = await client.fetch(local(callback), { csrf: false });
    expect(response.status).toBe(302);
    const aliceId = sessionIdOf(client)!;
    expect(aliceId).not.toBe(bobId);
    expect(await internalsOf(stack.bff).store.get(bobId)).toBeUndefined();
    expect((await client.user()).body['sub']).toBe('alice');
  });
});

describe('tampered cookies are anonymous', () => {
  let value: string;
  let id: string;
  let signature: string;

  beforeAll(async () => {
    const client = new BffClient(stack.baseUrl);
    await client.login('alice');
    value = client.sessionCookie()!;
    [id, signature] = value.split('.') as [string, string];
  });

  const flip = (s: string, at: number): string => `${s.slice(0, at)}${s[at] === 'A' ? 'B' : 'A'}${s.slice(at + 1)}`;
  const otherId = randomBytes(32).toString('base64url');

  const cases: Array<[string, () => string]> = [
    ['modified signature (first char)', () => `${id}.${flip(signature, 0)}`],
    ['modified signature (last char)', () => `${id}.${flip(signature, signature.length - 1)}`],
    ['truncated signature', () => `${id}.${signature.slice(0, -1)}`],
    ['empty signature', () => `${id}.`],
    ['the real id without a signature', () => id],
    ['another valid-format id without a signature', () => otherId],
    ['another valid-format id with the real signature', () => `${otherId}.${signature}`],
    ['the real id signed with another key', () => `${id}.${createHmac('sha256', 'x'.repeat(32)).update(id).digest('base64url')}`],
    ['modified id, real signature', () => `${flip(id, 3)}.${signature}`],
    ['random value', () => randomBytes(24).toString('hex')],
    ['signature only', () => `.${signature}`],
    ['extra segment', () => `${value}.x`],
    ['very long value', () => `${id}.${signature}${'A'.repeat(5000)}`],
    ['non-base64 characters', () => `${id.slice(0, -1)}*.${signature}`],
  ];

  it.each(cases)('%s → 401 on /bff/user and /api/echo, nothing created', async (_name, make) => {
    const sizeBefore = memoryStore(stack).size;
    const sessionsBefore = await sessionsOf(stack, 'alice');
    const cookie = `portcullis=${make()}`;
    const user = await fetch(new URL('/bff/user', stack.baseUrl), { headers: { cookie, 'x-csrf': '1' } });
    expect(user.status).toBe(401);
    expect(((await user.json()) as { error: string }).error).toBe('unauthenticated');
    expect(setCookiesFor(user, 'portcullis')).toEqual([]);
    const api = await fetch(new URL('/api/echo', stack.baseUrl), { headers: { cookie, 'x-csrf': '1' } });
    expect(api.status).toBe(401);
    await api.body?.cancel();
    expect(memoryStore(stack).size).toBe(sizeBefore);
    expect(await sessionsOf(stack, 'alice')).toEqual(sessionsBefore);
  });

  it('the untampered cookie still works (the cases above are refused for their tampering only)', async () => {
    const user = await fetch(new URL('/bff/user', stack.baseUrl), { headers: { cookie: `portcullis=${value}`, 'x-csrf': '1' } });
    expect(user.status).toBe(200);
  });
});

describe('session cookie with an https baseUrl behind a TLS-terminating proxy', () => {
  const started: Array<Awaited<ReturnType<typeof startBff>>> = [];

  /** Starts a BFF for `baseUrl` in a Koa app with `app.proxy = true`; returns its local URL. */
  async function startHttpsBff(baseUrl: string, session: Partial<SessionOptions> = {}): Promise<string> {
    const bff = await startBff(
      { issuer: stack.provider.issuer, clientId: 'https-bff', clientSecret: httpsSecret, baseUrl, session: { keys: [randomBytes(32).toString('base64url')], ...session } },
      true,
    );
    started.push(bff);
    return bff.url;
  }

  afterAll(async () => {
    for (const bff of started) await bff.stop();
  });

  /** Logs in through a BFF whose public origin is `origin` (requests carry X-Forwarded-Proto: https). */
  async function httpsLogin(localUrl: string, origin: string) {
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': new URL(origin).host };
    const client = new BffClient(localUrl);
    const login = await client.fetch('/bff/login', { csrf: false, headers: forwarded });
    expect(login.status).toBe(302);
    const authorize = new URL(login.headers.get('location')!);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${origin}/bff/callback`);
    const page = await browse(client.jar, authorize);
    const html = await page.response.text();
    const done = await browse(client.jar, formAction(html, page.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login: 'alice', password: 'alice' }),
      stopAt: (u) => u.origin === origin,
    });
    expect(done.stopped).toBe(true);
    const callback = await client.fetch(local(done.url), { csrf: false, headers: forwarded });
    return { client, forwarded, login, callback };
  }

  it('is "__Host-portcullis" with Secure, HttpOnly, SameSite=Strict, Path=/ and no Domain', async () => {
    const localUrl = await startHttpsBff('https://app.example.com');
    const { client, forwarded, login, callback } = await httpsLogin(localUrl, 'https://app.example.com');
    // The login-binding cookie follows the same rules.
    const binding = sessionSetCookie(login, '__Host-portcullis-login');
    expect(binding.attributes.has('secure')).toBe(true);
    expect(binding.attributes.get('path')).toBe('/');
    expect(binding.attributes.has('domain')).toBe(false);

    expect(callback.status).toBe(302);
    expect(callback.headers.get('location')).toBe('https://app.example.com/');
    expect(setCookiesFor(callback, 'portcullis')).toEqual([]);
    const cookie = sessionSetCookie(callback, '__Host-portcullis');
    expect(cookie.attributes.has('secure')).toBe(true);
    expect(cookie.attributes.has('httponly')).toBe(true);
    expect(cookie.attributes.get('samesite')?.toLowerCase()).toBe('strict');
    expect(cookie.attributes.get('path')).toBe('/');
    expect(cookie.attributes.has('domain')).toBe(false);
    expect(cookie.value).toMatch(SIGNED_VALUE);

    const user = await client.fetch('/bff/user', { headers: { ...forwarded, origin: 'https://app.example.com' } });
    expect(user.status).toBe(200);
    const { logoutUrl } = (await user.json()) as { logoutUrl: string };
    // Logout clears the prefixed cookie with the same attributes.
    const logout = await client.fetch(logoutUrl, { csrf: false, headers: forwarded });
    expect(logout.status).toBe(302);
    const cleared = sessionSetCookie(logout, '__Host-portcullis');
    expect(cleared.value).toBe('');
    expect(cleared.attributes.has('secure')).toBe(true);
    expect(cleared.attributes.get('path')).toBe('/');
    expect(new URL(logout.headers.get('location')!).searchParams.get('post_logout_redirect_uri')).toBe('https://app.example.com/');
  });

  it('takes SameSite=Lax when configured', async () => {
    const localUrl = await startHttpsBff('https://lax.example.com', { sameSite: 'lax' });
    const { callback } = await httpsLogin(localUrl, 'https://lax.example.com');
    expect(callback.status).toBe(302);
    const cookie = sessionSetCookie(callback, '__Host-portcullis');
    expect(cookie.attributes.get('samesite')?.toLowerCase()).toBe('lax');
    expect(cookie.attributes.has('secure')).toBe(true);
    expect(cookie.attributes.has('httponly')).toBe(true);
  });
});

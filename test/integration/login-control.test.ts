/**
 * Login and session control (issue 17), against the real demo provider:
 * login parameters forwarded or refused by name, silent login, step-up
 * (RFC 9470) from a route's rule and from an API's challenge, the user's
 * session list with revocation, `bff.requireSession()` on the app's own
 * routes, and the login policy (`access`, `hooks`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type BffHooks } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import { BffClient } from '../helpers/bff-client.ts';
import { memoryStore, tokensOf } from '../helpers/bff-harness.ts';
import { createKoaApp } from '../helpers/koa.ts';
import { authOf, expireAccessToken, sessionIdOf } from '../helpers/sessions.ts';

const STEP_UP_CHALLENGE = 'Bearer error="insufficient_user_authentication", error_description="A second factor is required", acr_values="urn:portcullis:mfa", max_age=300';

let stack: DemoStack;
let upstream: Server;
const hookCalls: string[] = [];
const hooks: BffHooks = {
  onLogin: ({ claims }) => (claims['sub'] === 'bob' && denyBob ? { deny: 'bob is on holiday' } : undefined),
  onLogout: ({ kind }) => void hookCalls.push(`logout:${kind}`),
  onRefresh: () => void hookCalls.push('refresh'),
};
let denyBob = false;

beforeAll(async () => {
  upstream = createServer((_req, res) => res.writeHead(401, { 'www-authenticate': STEP_UP_CHALLENGE, 'content-type': 'application/json' }).end('{"error":"insufficient_user_authentication"}'));
  await new Promise<void>((r) => upstream.listen(0, 'localhost', r));
  const upstreamUrl = `http://localhost:${(upstream.address() as AddressInfo).port}`;
  stack = await startDemoStack({
    logger: silentLogger,
    bff: ({ api }) => ({
      hooks,
      apis: [
        { path: '/api/todos', target: `${api.url}/todos`, token: 'user' },
        { path: '/api/admin', target: `${api.url}/todos`, token: 'user', acr: ['urn:portcullis:mfa'] },
        { path: '/api/recent', target: `${api.url}/todos`, token: 'user', maxAge: 0 },
        { path: '/api/guarded', target: `${upstreamUrl}/x`, token: 'user' },
      ],
    }),
  });
});
afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((r) => upstream?.close(() => r()));
});

const signedIn = (user = 'alice') => BffClient.signedIn(stack.baseUrl, user);
const login = (tab: BffClient, query: string) => tab.fetch(`/bff/login${query}`, { csrf: false });

describe('GET /bff/login parameters', () => {
  it('forwards prompt, max_age, acr_values, login_hint and ui_locales as given', async () => {
    const response = await login(
      new BffClient(stack.baseUrl),
      '?returnTo=%2Ftodos&prompt=login%20consent&max_age=60&acr_values=urn%3Aportcullis%3Amfa&login_hint=bob%40example.com&ui_locales=fr-CA%20en',
    );
    expect(response.status).toBe(302);
    const q = new URL(response.headers.get('location')!).searchParams;
    expect(Object.fromEntries(['prompt', 'max_age', 'acr_values', 'login_hint', 'ui_locales'].map((n) => [n, q.get(n)]))).toEqual({
      prompt: 'login consent',
      max_age: '60',
      acr_values: 'urn:portcullis:mfa',
      login_hint: 'bob@example.com',
      ui_locales: 'fr-CA en',
    });
  });

  const refused = [
    'scope',
    'redirect_uri',
    'client_id',
    'response_type',
    'response_mode',
    'state',
    'nonce',
    'code_challenge',
    'code_challenge_method',
    'request',
    'request_uri',
    'claims',
    'id_token_hint',
    'foo',
  ];
  for (const name of refused) {
    it(`refuses "${name}" with 400 naming it, before any redirect or stored state`, async () => {
      const before = memoryStore(stack).size;
      const response = await login(new BffClient(stack.baseUrl), `?returnTo=%2F&${name}=x`);
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error).toBe('invalid_request');
      expect(body.error_description).toContain(`"${name}"`);
      expect(memoryStore(stack).size).toBe(before);
    });
  }

  const malformed: Array<[string, string]> = [
    ['an unknown prompt value', 'prompt=bogus'],
    ['prompt none with another value', 'prompt=none%20login'],
    ['a repeated prompt value', 'prompt=login%20login'],
    ['a negative max_age', 'max_age=-1'],
    ['a non-numeric max_age', 'max_age=soon'],
    ['a control character', 'login_hint=a%0Ab'],
    ['a 600-character value', `login_hint=${'a'.repeat(600)}`],
    ['a parameter given twice', 'prompt=login&prompt=consent'],
    ['acr_values with a tab', 'acr_values=a%09b'],
  ];
  for (const [name, query] of malformed) {
    it(`refuses ${name} with 400`, async () => {
      const response = await login(new BffClient(stack.baseUrl), `?${query}`);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    });
  }
});

describe('silent login (prompt=none, a top-level navigation)', () => {
  it('without a provider session: no session, back to returnTo with error=login_required (other parameters kept)', async () => {
    const tab = new BffClient(stack.baseUrl);
    const walk = await tab.navigate('/bff/login?prompt=none&returnTo=%2Ftodos%3Fview%3Dall');
    expect(walk.url).toBe(`${stack.baseUrl}/todos?view=all&error=login_required`);
    expect(tab.sessionCookie()).toBeUndefined();
    expect((await tab.user()).status).toBe(401);
  });

  it('with a provider session: signed in without any form', async () => {
    const tab = await signedIn('alice');
    // Drop the BFF session only: the provider still knows this browser.
    tab.jar.setCookie('portcullis=; Max-Age=0; Path=/', stack.baseUrl);
    expect((await tab.user()).status).toBe(401);
    const walk = await tab.navigate('/bff/login?prompt=none&returnTo=%2Ftodos');
    expect(walk.url).toBe(`${stack.baseUrl}/todos`);
    expect((await tab.user()).status).toBe(200);
  });
});

describe('step-up (RFC 9470)', () => {
  it('a route that requires an acr the session lacks: 401 step_up_required with acr_values, nothing proxied, session kept', async () => {
    const tab = await signedIn('alice');
    const before = stack.api.requests.length;
    const response = await tab.fetch('/api/admin');
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'step_up_required', error_description: expect.any(String), acr_values: 'urn:portcullis:mfa' });
    expect(stack.api.requests.length).toBe(before);
    expect((await tab.user()).status).toBe(200);
  });

  it('a route with maxAge older than the login: 401 step_up_required with max_age', async () => {
    const tab = await signedIn('alice');
    const auth = (await authOf(stack.bff, tab))!;
    if (auth.authTime === undefined) {
      // Without auth_time the session cannot prove a recent login either.
      const response = await tab.fetch('/api/recent');
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'step_up_required', max_age: 0 });
      return;
    }
    await new Promise((r) => setTimeout(r, 1100));
    const response = await tab.fetch('/api/recent');
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'step_up_required', max_age: 0 });
  });

  it("an API's insufficient_user_authentication challenge becomes step_up_required with its acr_values and max_age; the session stays", async () => {
    const tab = await signedIn('alice');
    const response = await tab.fetch('/api/guarded');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(await response.json()).toEqual({ error: 'step_up_required', error_description: expect.any(String), acr_values: 'urn:portcullis:mfa', max_age: 300 });
    expect((await tab.user()).status).toBe(200);
  });
});

describe("the user's sessions", () => {
  type Entry = { id: string; current: boolean; createdAt: number; lastSeenAt: number; userAgent: string | null };
  const list = async (tab: BffClient) => {
    const response = await tab.fetch('/bff/sessions');
    expect(response.status).toBe(200);
    return (await response.json()) as Entry[];
  };

  it("lists the user's live sessions with opaque ids, and ends one, all others, never someone else's", async () => {
    const one = await signedIn('alice');
    const two = await signedIn('alice');
    const three = await signedIn('alice');
    const bob = await signedIn('bob');
    const mine = await list(one);
    const ids = [one, two, three].map((t) => sessionIdOf(t));
    expect(mine.filter((e) => e.current)).toHaveLength(1);
    expect(mine.length).toBeGreaterThanOrEqual(3);
    for (const entry of mine) {
      expect(Object.keys(entry).sort()).toEqual(['createdAt', 'current', 'id', 'lastSeenAt', 'userAgent']);
      expect(entry.id).toMatch(/^[A-Za-z0-9_-]{32}$/);
      for (const id of ids) expect(entry.id).not.toBe(id);
      expect(JSON.stringify(entry)).not.toContain(one.sessionCookie()!.split('.')[1]!);
      expect(entry.createdAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    }
    // Bob sees none of alice's sessions, and cannot end them.
    const bobs = await list(bob);
    expect(bobs.some((e) => mine.some((m) => m.id === e.id))).toBe(false);
    const other = mine.find((e) => !e.current)!;
    const foreign = await bob.fetch(`/bff/sessions/${other.id}`, { method: 'DELETE' });
    expect(foreign.status).toBe(404);
    expect((await bob.fetch('/bff/sessions/nope', { method: 'DELETE' })).status).toBe(404);
    // Without X-CSRF: refused, nothing ended.
    expect((await one.fetch(`/bff/sessions/${other.id}`, { method: 'DELETE', csrf: false })).status).toBe(403);
    // One of alice's own: ended (its refresh token revoked, like logout).
    const twoEntry = (await list(two)).find((e) => e.current)!;
    const twoTokens = await tokensOf(stack, two);
    expect((await one.fetch(`/bff/sessions/${twoEntry.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await two.user()).status).toBe(401);
    const grant = await fetch(`${stack.provider.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${stack.client.id}:${stack.client.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: twoTokens.refreshToken! }),
    });
    expect(await grant.json()).toMatchObject({ error: 'invalid_grant' });
    // All the others: only the current one stays.
    expect((await one.fetch('/bff/sessions', { method: 'DELETE' })).status).toBe(204);
    expect((await three.user()).status).toBe(401);
    expect((await one.user()).status).toBe(200);
    expect(await list(one)).toEqual([expect.objectContaining({ current: true })]);
    expect((await bob.user()).status).toBe(200);
    expect(hookCalls).toContain('logout:sessions');
  });

  it('answers 401 without a session and 403 without X-CSRF', async () => {
    const anonymous = new BffClient(stack.baseUrl);
    expect((await anonymous.fetch('/bff/sessions')).status).toBe(401);
    const tab = await signedIn('alice');
    expect((await tab.fetch('/bff/sessions', { csrf: false })).status).toBe(403);
  });
});

describe("bff.requireSession() on the application's own routes", () => {
  let app: Server;
  let appUrl: string;
  beforeAll(async () => {
    const koa = createKoaApp();
    const guard = stack.bff.requireSession();
    koa.use(async (ctx: unknown, next: () => Promise<void>) => {
      const c = ctx as { path: string; body: unknown; state: Record<string, unknown> };
      if (c.path !== '/me') return next();
      await guard(ctx as never, async () => {
        const state = c.state as { user: { sub: string }; accessToken(): Promise<string> };
        c.body = { sub: state.user.sub, tokenLength: (await state.accessToken()).length };
      });
    });
    app = createServer(koa.callback());
    await new Promise<void>((r) => app.listen(0, 'localhost', r));
    appUrl = `http://localhost:${(app.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => app?.close(() => r())));

  it('401 JSON without a session, 403 without X-CSRF, and the user and a valid access token with one', async () => {
    expect((await new BffClient(appUrl).fetch('/me')).status).toBe(401);
    const tab = await signedIn('alice');
    const onApp = new BffClient(appUrl, tab.jar);
    expect((await onApp.fetch('/me', { csrf: false })).status).toBe(403);
    const response = await onApp.fetch('/me');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { sub: string; tokenLength: number };
    expect(body.sub).toBe('alice');
    expect(body.tokenLength).toBe((await tokensOf(stack, tab)).accessToken.length);
  });
});

describe('login policy', () => {
  it('hooks.onLogin denies: 403 access_denied page, no session', async () => {
    denyBob = true;
    try {
      const tab = new BffClient(stack.baseUrl);
      const before = memoryStore(stack).size;
      const walk = await tab.login('bob', 'bob', '/todos', (url) => url.pathname === '/todos');
      expect(walk.response.status).toBe(403);
      expect(await walk.response.text()).toMatch(/bob is on holiday/);
      expect(tab.sessionCookie()).toBeUndefined();
      expect(memoryStore(stack).size).toBeLessThanOrEqual(before);
    } finally {
      denyBob = false;
    }
  });

  describe('access', () => {
    let strict: DemoStack;
    beforeAll(async () => {
      strict = await startDemoStack({ logger: silentLogger, bff: { access: { allowedEmailDomains: ['example.org'], requiredClaims: { email_verified: true } } } });
    });
    afterAll(() => strict?.stop());

    it('an e-mail domain that is not allowed: denied, no session', async () => {
      const tab = new BffClient(strict.baseUrl);
      const walk = await tab.login('alice');
      expect(walk.response.status).toBe(403);
      expect(tab.sessionCookie()).toBeUndefined();
    });
  });

  it('hooks.onLogout and onRefresh are called', async () => {
    const tab = await signedIn('alice');
    const logoutUrl = (await tab.user()).body['logoutUrl'] as string;
    const other = await signedIn('alice');
    await expireAccessToken(stack.bff, other);
    expect((await other.fetch('/api/todos')).status).toBe(200);
    expect(hookCalls).toContain('refresh');
    await tab.fetch(logoutUrl, { csrf: false });
    expect(hookCalls).toContain('logout:rp');
  });
});

describe('client secrets that need form-urlencoding in HTTP Basic (RFC 6749 §2.3.1)', () => {
  let special: DemoStack;
  beforeAll(async () => {
    special = await startDemoStack({ logger: silentLogger, clientSecret: 'check+special/secret:4f&9=a%20b-0123456789' });
  });
  afterAll(() => special?.stop());

  it('log in, refresh and log out with client_secret_basic', async () => {
    const tab = await BffClient.signedIn(special.baseUrl, 'alice');
    expect((await tab.user()).status).toBe(200);
    await expireAccessToken(special.bff, tab);
    expect((await tab.fetch('/api/todos')).status).toBe(200);
    const logoutUrl = (await tab.user()).body['logoutUrl'] as string;
    expect((await tab.fetch(logoutUrl, { csrf: false })).status).toBe(302);
  });
});

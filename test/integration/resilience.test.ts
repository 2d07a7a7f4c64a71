/**
 * No fault that could be ridden out logs a user out (issue 14.2, 14.3) and
 * no race rewrites a session behind another's back (issue 12.9), against
 * the real demo provider (rotation and reuse detection on) and a real
 * redis-server with two BFF instances:
 *
 * - the provider down while the access token is still valid: calls go on;
 *   only an expired token is a 503; the session survives the outage;
 * - Redis down while a refresh grant is in flight: the rotated tokens are
 *   held and stored later, the session survives, no refresh-token reuse;
 * - a stale idle renewal on one instance cannot write back the refresh token
 *   another instance has just rotated;
 * - a write in flight when the session is ended cannot bring it back.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisSessionStore, silentLogger, type SessionStore, type TokenSet } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import { BffClient } from '../helpers/bff-client.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { authOf, eventually, expireAccessToken, sessionIdOf } from '../helpers/sessions.ts';
import { internalsOf } from '../../packages/bff/src/internals.ts';

const nowSeconds = () => Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sets the tab's access token to expire in `seconds` (already inside the refresh skew). */
async function tokenExpiringIn(stack: DemoStack, tab: BffClient, seconds: number): Promise<TokenSet> {
  const id = sessionIdOf(tab);
  const record = (await internalsOf(stack.bff).repository.get(id))!;
  const auth = record['auth'] as { tokens: TokenSet };
  auth.tokens = { ...auth.tokens, expiresAt: nowSeconds() + seconds, issuedAt: nowSeconds() - 3600 };
  expect(await internalsOf(stack.bff).repository.set(id, record, 60_000)).toBe(true);
  return auth.tokens;
}

describe('provider outage with valid tokens (memory store)', () => {
  let stack: DemoStack;
  beforeAll(async () => {
    stack = await startDemoStack({ logger: silentLogger });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('0 failed calls while the token is valid, 503 once it has expired, then recovery with the same session', async () => {
    const tab = await BffClient.signedIn(stack.baseUrl);
    // One call first: the demo API caches the provider's signing keys, so it keeps working without the provider.
    expect((await tab.fetch('/api/todos')).status).toBe(200);
    const before = await tokenExpiringIn(stack, tab, 4);
    stack.provider.resetCounts();
    await stack.provider.stop();
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await tab.fetch('/api/todos')).status);
      // The API is up; only the provider is away: every call carried the still-valid token.
      expect(statuses).toEqual(Array(20).fill(200));
      expect(stack.api.requests.at(-1)!.authorization).toBe(`Bearer ${before.accessToken}`);
      await expireAccessToken(stack.bff, tab);
      const expired = await tab.fetch('/api/todos');
      expect(expired.status).toBe(503);
      expect(await expired.json()).toMatchObject({ error: 'temporarily_unavailable' });
    } finally {
      await stack.provider.restart();
    }
    // Back: the same session refreshes and goes on.
    await eventually(async () => (await tab.fetch('/api/todos')).status === 200, 10_000);
    expect((await tab.user()).status).toBe(200);
    expect((await authOf(stack.bff, tab))!.tokens.accessToken).not.toBe(before.accessToken);
  });
});

describe('Redis and two instances', () => {
  let redis: TestRedis;
  let stack: DemoStack;
  beforeAll(async () => {
    redis = await startRedis();
    stack = await startDemoStack({ logger: silentLogger, instances: 2, store: () => new RedisSessionStore({ url: redis.url, commandTimeout: 500 }) });
  });
  afterAll(async () => {
    await stack?.stop();
    await redis?.stop();
  });
  beforeEach(() => {
    stack.provider.resetCounts();
  });

  it('Redis down while a refresh grant is in flight: the call succeeds, the session survives, 0 invalid_grant', async () => {
    const tab = await BffClient.signedIn(stack.baseUrl);
    const first = new BffClient(stack.instances[0]!.url, tab.jar);
    const before = await expireAccessToken(stack.bff, tab);
    const provider = internalsOf(stack.instances[0]!.bff).provider;
    const original = provider.refresh.bind(provider);
    provider.refresh = async (...args) => {
      const fresh = await original(...args);
      await redis.stop(); // the provider has rotated the refresh token; the store goes away before the write
      return fresh;
    };
    let response: Response;
    try {
      response = await first.fetch('/api/todos');
    } finally {
      provider.refresh = original;
    }
    expect(response.status).toBe(200);
    expect(internalsOf(stack.instances[0]!.bff).tokens.unsavedCount).toBe(1);
    await sleep(1500);
    await redis.start();
    // The held tokens reach the store by themselves once Redis is back.
    await eventually(async () => {
      const auth = await authOf(stack.bff, tab).catch(() => undefined);
      return auth !== undefined && auth.tokens.accessToken !== before.tokens.accessToken;
    }, 15_000);
    await eventually(async () => internalsOf(stack.instances[0]!.bff).tokens.unsavedCount === 0);
    // Every later call, on either instance, works with the rotated tokens, including the next refresh.
    for (let i = 0; i < 4; i++) expect((await tab.fetch('/api/todos')).status).toBe(200);
    await expireAccessToken(stack.bff, tab);
    expect((await tab.fetch('/api/todos')).status).toBe(200);
    expect(stack.provider.grantCounts()['refresh_token']).toBe(2);
    expect((await tab.user()).status).toBe(200);
  });

  it('a stale idle renewal on one instance does not write back the refresh token another instance just rotated', async () => {
    const tab = await BffClient.signedIn(stack.baseUrl);
    const [a, b] = [new BffClient(stack.instances[0]!.url, tab.jar), new BffClient(stack.instances[1]!.url, tab.jar)];
    const id = sessionIdOf(tab);
    // Due for an idle renewal (less than half the idle timeout left) and for a refresh.
    const record = (await internalsOf(stack.bff).repository.get(id))!;
    const auth = record['auth'] as { tokens: TokenSet };
    auth.tokens = { ...auth.tokens, expiresAt: nowSeconds() - 1 };
    record['_expire'] = Date.now() + 1000 * 60;
    expect(await internalsOf(stack.bff).repository.set(id, record, 120_000)).toBe(true);
    // Instance B reads the session, then its renewal write is slow to land.
    const store = internalsOf(stack.instances[1]!.bff).store;
    restore = slowWrites(store, 400);
    const renewal = b.user(); // /bff/user: koa-session renews the idle timeout, writing the whole record
    await sleep(100);
    const refreshed = await a.fetch('/api/todos'); // instance A refreshes and rotates the refresh token
    expect(refreshed.status).toBe(200);
    expect((await renewal).status).toBe(200);
    restore();
    const stored = (await authOf(stack.bff, tab))!;
    expect(stored.tokens.refreshToken).not.toBe(auth.tokens.refreshToken);
    // The rotated refresh token is the stored one: the next refresh works (no reuse, no logout).
    await expireAccessToken(stack.bff, tab);
    expect((await tab.fetch('/api/todos')).status).toBe(200);
    expect(stack.provider.grantCounts()['refresh_token']).toBe(2);
  });

  it('10 concurrent deliveries of one logout token across both instances: exactly one is accepted (atomic replay marker)', async () => {
    const token = await stack.provider.signJwt(
      { aud: stack.client.id, jti: crypto.randomUUID(), sub: 'nobody', exp: nowSeconds() + 120, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } },
      { typ: 'logout+jwt' },
    );
    const deliver = (i: number) =>
      fetch(`${stack.instances[i % 2]!.url}/bff/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: token }),
      }).then((r) => r.status);
    const statuses = await Promise.all(Array.from({ length: 10 }, (_, i) => deliver(i)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(9);
  });

  it('the session list spans both instances: a session made on one is listed and ended from the other', async () => {
    const one = await BffClient.signedIn(stack.instances[0]!.url);
    const two = await BffClient.signedIn(stack.instances[1]!.url);
    const listed = (await (await one.fetch('/bff/sessions')).json()) as Array<{ id: string; current: boolean }>;
    expect(listed.filter((e) => !e.current).length).toBeGreaterThanOrEqual(1);
    const twoOnOne = new BffClient(stack.instances[1]!.url, two.jar);
    const twoId = ((await (await twoOnOne.fetch('/bff/sessions')).json()) as Array<{ id: string; current: boolean }>).find((e) => e.current)!.id;
    expect(listed.map((e) => e.id)).toContain(twoId);
    expect((await one.fetch(`/bff/sessions/${twoId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await new BffClient(stack.instances[0]!.url, two.jar).user()).status).toBe(401);
    expect((await twoOnOne.user()).status).toBe(401);
  });

  it('a write in flight when the session is ended does not bring it back', async () => {
    const tab = await BffClient.signedIn(stack.baseUrl);
    const [a, b] = [new BffClient(stack.instances[0]!.url, tab.jar), new BffClient(stack.instances[1]!.url, tab.jar)];
    const id = sessionIdOf(tab);
    const record = (await internalsOf(stack.bff).repository.get(id))!;
    record['_expire'] = Date.now() + 1000 * 60;
    expect(await internalsOf(stack.bff).repository.set(id, record, 120_000)).toBe(true);
    const logoutUrl = (await a.user()).body['logoutUrl'] as string;
    restore = slowWrites(internalsOf(stack.instances[1]!.bff).store, 400);
    const renewal = b.user(); // B's renewal write passes its checks, then lands late
    await sleep(100);
    const logout = await a.fetch(logoutUrl, { csrf: false });
    expect(logout.status).toBe(302);
    await renewal;
    restore();
    await sleep(100);
    expect(await authOf(stack.bff, id)).toBeUndefined();
    expect((await internalsOf(stack.instances[1]!.bff).store.findIds?.({ sub: 'alice' }))?.includes(id)).toBe(false);
    expect((await new BffClient(stack.baseUrl, tab.jar).user()).status).toBe(401);
  });
});

let restore: () => void = () => {};

/** Delays every write of `store` by `ms` (after the caller's own checks ran): a slow network to Redis. */
function slowWrites(store: SessionStore, ms: number): () => void {
  const target = store as unknown as Record<string, unknown>;
  const originals = new Map<string, unknown>();
  for (const name of ['set', 'setIf']) {
    const method = target[name];
    if (typeof method !== 'function') continue;
    originals.set(name, method);
    target[name] = async (...args: unknown[]) => {
      await sleep(ms);
      return (method as (...a: unknown[]) => Promise<unknown>).apply(store, args);
    };
  }
  return () => {
    for (const [name, method] of originals) target[name] = method;
  };
}

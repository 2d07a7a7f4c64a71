/**
 * The provider down at login time: a readable error page, and nothing half
 * made (no session, no session cookie); once it is back, logging in works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errors, MemorySessionStore, silentLogger, type SessionRecord } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import { BffClient } from '../helpers/bff-client.ts';
import { internalsOf } from '../../packages/bff/src/internals.ts';

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

let stack: DemoStack;
beforeAll(async () => {
  stack = await startDemoStack({ logger: silentLogger });
});
afterAll(async () => {
  await stack?.stop();
});

const storeSize = () => (internalsOf(stack.bff).store as unknown as { size: number }).size;

describe('provider down at login', () => {
  it('before discovery: /bff/login answers 503 with a readable page and stores nothing', async () => {
    await stack.provider.stop();
    try {
      const tab = new BffClient(stack.baseUrl);
      const before = storeSize();
      const response = await tab.fetch('/bff/login?returnTo=/todos', { csrf: false, headers: HTML });
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toMatch(/text\/html/);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const page = await response.text();
      expect(page).toMatch(/<h1>Sign-in problem<\/h1>/);
      expect(page).toMatch(/could not be reached/);
      expect(response.headers.get('location')).toBeNull();
      expect(tab.sessionCookie()).toBeUndefined();
      expect(storeSize()).toBe(before);
      // An API caller gets the same answer as JSON.
      const json = await tab.fetch('/bff/login', { csrf: false });
      expect(json.status).toBe(503);
      expect(await json.json()).toMatchObject({ error: 'temporarily_unavailable' });
    } finally {
      await stack.provider.restart();
    }
  });

  it('at the callback: the code exchange fails with a readable 503, no session; a new login then works', async () => {
    const tab = new BffClient(stack.baseUrl);
    const stopped = await tab.login('alice', 'alice', '/todos', (url) => url.pathname === '/bff/callback');
    expect(stopped.stopped).toBe(true);
    await stack.provider.stop();
    try {
      const before = storeSize();
      const response = await tab.fetch(new URL(stopped.url).pathname + new URL(stopped.url).search, { csrf: false, headers: HTML });
      expect(response.status).toBe(503);
      expect(await response.text()).toMatch(/Sign-in problem/);
      expect(tab.sessionCookie()).toBeUndefined();
      // The login state was consumed or is still pending; no session record appeared.
      expect(storeSize()).toBeLessThanOrEqual(before);
      expect((await tab.user()).status).toBe(401);
    } finally {
      await stack.provider.restart();
    }
    // Still signed in at the provider: a new login goes straight through.
    const done = await tab.navigate('/bff/login?returnTo=%2Ftodos');
    expect(done.url).toBe(`${stack.baseUrl}/todos`);
    expect((await tab.user()).status).toBe(200);
  });
});

/** A memory store that can be switched "unreachable", like a Redis that went away. */
class FlakyStore extends MemorySessionStore {
  down = false;
  override async get(id: string): Promise<SessionRecord | undefined> {
    if (this.down) throw new errors.TemporarilyUnavailable('The session store is unavailable: try again shortly.');
    return super.get(id);
  }
}

describe('session store down at the callback', () => {
  const store = new FlakyStore();
  let flaky: DemoStack;
  beforeAll(async () => {
    flaky = await startDemoStack({ logger: silentLogger, store });
  });
  afterAll(async () => {
    await flaky?.stop();
    store.close();
  });

  it('answers 503 (not "unknown state") and the same callback succeeds once the store is back', async () => {
    const tab = new BffClient(flaky.baseUrl);
    const stopped = await tab.login('alice', 'alice', '/todos', (url) => url.pathname === '/bff/callback');
    const callback = new URL(stopped.url);
    store.down = true;
    try {
      const response = await tab.fetch(callback.pathname + callback.search, { csrf: false });
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
      expect(tab.sessionCookie()).toBeUndefined();
    } finally {
      store.down = false;
    }
    const retry = await tab.fetch(callback.pathname + callback.search, { csrf: false });
    expect(retry.status).toBe(302);
    expect(retry.headers.get('location')).toBe(`${flaky.baseUrl}/todos`);
    expect((await tab.user()).status).toBe(200);
  });
});

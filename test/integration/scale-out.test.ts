/**
 * Scale-out with a real redis-server: two BFF instances behind a
 * round-robin balancer share sessions, refresh once across instances, survive
 * the loss of one instance and of Redis for a while, and Redis never holds a
 * token in clear.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisSessionStore, silentLogger } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import { BffClient } from '../helpers/bff-client.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { authOf, eventually, expireAccessToken, sessionIdOf } from '../helpers/sessions.ts';

let redis: TestRedis;
let stack: DemoStack;
beforeAll(async () => {
  redis = await startRedis();
  stack = await startDemoStack({ logger: silentLogger, instances: 2, store: () => new RedisSessionStore({ url: redis.url }) });
});
afterAll(async () => {
  await stack?.stop();
  await redis?.stop();
});
beforeEach(() => {
  stack.provider.resetCounts();
});

const signedIn = (user = 'alice') => BffClient.signedIn(stack.baseUrl, user);

describe('two instances, one Redis', () => {
  it('a session made through the balancer is served by each instance directly', async () => {
    const tab = await signedIn();
    for (const instance of stack.instances) {
      const direct = new BffClient(instance.url, tab.jar);
      const { status, body } = await direct.user();
      expect(status).toBe(200);
      expect(body['sub']).toBe('alice');
      expect((await direct.fetch('/api/todos')).status).toBe(200);
    }
  });

  it('100 concurrent calls with an expired token, spread over both instances, cause exactly one refresh grant', async () => {
    const tab = await signedIn();
    await expireAccessToken(stack.bff, tab);
    const tabs = stack.instances.map((i) => new BffClient(i.url, tab.jar));
    const responses = await Promise.all(Array.from({ length: 100 }, (_, n) => tabs[n % 2]!.fetch('/api/todos')));
    expect(responses.map((r) => r.status)).toEqual(Array(100).fill(200));
    expect(stack.provider.grantCounts()['refresh_token']).toBe(1);
  });

  it('Redis holds no token and no JWT in clear; tokens are a JWE per session', async () => {
    const tab = await signedIn('bob');
    const { tokens } = (await authOf(stack.bff, tab))!;
    const dump = await redis.dump();
    const all = dump.map((e) => `${e.key} ${e.value}`).join('\n');
    for (const token of [tokens.accessToken, tokens.refreshToken!, tokens.idToken]) {
      expect(all).not.toContain(token);
      expect(all).not.toContain(token.split('.').at(-1)!);
    }
    expect(all).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
    const record = dump.find((e) => e.key.endsWith(`sess:${sessionIdOf(tab)}`))!;
    expect(JSON.parse(record.value).r.auth.tokens).toMatch(/^eyJ[\w-]*\.\.[\w-]+\.[\w-]+\.[\w-]+$/);
    console.info(`bytes stored per session in Redis: ${Buffer.byteLength(record.value)} (key + index entries excluded)`);
  });
});

describe('faults', () => {
  it('one instance killed mid-traffic: the next calls go on with the same session', async () => {
    const tab = await signedIn();
    const traffic = Array.from({ length: 20 }, () => tab.fetch('/api/todos'));
    const victim = stack.instances[1]!;
    await victim.stop();
    const statuses = (await Promise.all(traffic)).map((r) => r.status);
    // Requests already inside the killed instance may fail; none answers 401 (the session is intact).
    expect(statuses.filter((s) => s === 401)).toEqual([]);
    for (let i = 0; i < 4; i++) expect((await tab.fetch('/api/todos')).status).toBe(200);
    expect((await tab.user()).status).toBe(200);
  });

  it('Redis down: 503 JSON (never anonymous, no crash); back: the same session works again', async () => {
    const tab = await signedIn();
    await redis.stop();
    try {
      for (const path of ['/bff/user', '/api/todos']) {
        const response = await tab.fetch(path);
        expect(response.status).toBe(503);
        expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
      }
      const login = await tab.fetch('/bff/login', { csrf: false });
      expect(login.status).toBe(503);
    } finally {
      await redis.start();
    }
    await eventually(async () => (await tab.user()).status === 200, 10_000);
    expect((await tab.fetch('/api/todos')).status).toBe(200);
  });
});

/** The server's session store wiring and its readiness check, against real redis-server processes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../../../test/helpers/redis.ts';
import { startRedisServer, startSentinel, type RedisProcess } from '../../../../test/helpers/server-redis.ts';
import { MemorySessionStore } from '../../src/session/memory-store.ts';
import type { SessionStore } from '../../src/session/store.ts';
import { openStore, redisTarget, type ServerStore } from '../../src/server/store.ts';

let redis: TestRedis;
let opened: ServerStore;
const others: Array<{ stop(): Promise<void> }> = [];
beforeAll(async () => {
  redis = await startRedis();
  opened = await openStore({ type: 'redis', url: redis.url });
});
afterAll(async () => {
  await opened?.close();
  await redis?.stop();
  await Promise.all(others.map((o) => o.stop()));
});

const run = (store: ServerStore, timeoutMs = 3000) => store.check.run(AbortSignal.timeout(timeoutMs));

async function eventually(fn: () => Promise<void>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('openStore', () => {
  it('memory: a MemorySessionStore of the configured size, always ready', async () => {
    const memory = await openStore({ type: 'memory', maxEntries: 2 });
    try {
      expect(memory.store).toBeInstanceOf(MemorySessionStore);
      expect(memory.description).toBe('memory (single instance, at most 2 sessions)');
      for (const id of ['a', 'b', 'c']) await memory.store.set(id, { id }, 60_000, { sub: id });
      expect((memory.store as MemorySessionStore).size).toBe(2);
      await expect(run(memory)).resolves.toBeUndefined();
    } finally {
      await memory.close();
    }
  });

  it('memory: evicted sessions are reported to the server logger', async () => {
    const warnings: string[] = [];
    const logger = { warn: (_fields: object, msg: string) => void warnings.push(msg), error() {}, info() {}, debug() {} };
    const memory = await openStore({ type: 'memory', maxEntries: 1 }, { logger });
    try {
      for (const id of ['a', 'b']) await memory.store.set(id, { id }, 60_000, { sub: id });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(warnings.join('\n')).toMatch(/memory session store full/);
    } finally {
      await memory.close();
    }
  });

  it('custom: its roundTrip() is the check, else its ping()', async () => {
    const calls: string[] = [];
    const base = { get: async () => undefined, set: async () => {}, destroy: async () => {} };
    const both = await openStore({ type: 'custom', store: { ...base, roundTrip: async () => void calls.push('roundTrip'), ping: async () => void calls.push('ping') } as unknown as SessionStore });
    await run(both);
    const pingOnly = await openStore({ type: 'custom', store: { ...base, ping: async () => void calls.push('ping') } as unknown as SessionStore });
    await run(pingOnly);
    expect(calls).toEqual(['roundTrip', 'ping']);
    const failing = await openStore({ type: 'custom', store: { ...base, roundTrip: async () => Promise.reject(new Error('no data path')) } as unknown as SessionStore });
    await expect(run(failing)).rejects.toThrow('no data path');
  });

  it('redis: a RedisSessionStore whose round trip is the readiness check', async () => {
    expect(opened.description).toBe(`redis ${redis.url}/0`);
    expect(opened.check.target).toBe(`${redis.url}/0`);
    await expect(run(opened)).resolves.toBeUndefined();
    await opened.store.set('x', { a: 1 }, 10_000);
    expect(await opened.store.get('x')).toEqual({ a: 1 });
  });

  it('redis: the check fails naming the store while Redis is down, and recovers', async () => {
    await redis.stop();
    try {
      await expect(run(opened)).rejects.toThrow(`${redis.url}/0`);
    } finally {
      await redis.start();
    }
    await eventually(() => run(opened));
  });

  it('redis: a sentinel port given as a plain URL fails the check (PING would answer PONG)', async () => {
    const sentinel = await startSentinel();
    others.push(sentinel);
    const store = await openStore({ type: 'redis', url: `redis://127.0.0.1:${sentinel.port}` });
    try {
      const error = await run(store).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error, 'the round trip must fail against a sentinel').toBeInstanceOf(Error);
      expect(error!.message).toContain(`redis://127.0.0.1:${sentinel.port}/0`);
      expect(error!.message).toMatch(/Sentinel/);
    } finally {
      await store.close();
    }
  });
});

describe('Redis targets and errors never show a secret', () => {
  it('keeps protocol, host, port and db only', () => {
    expect(redisTarget('redis://user:hunter2@cache:6380/2?password=swordfish&db=3')).toBe('redis://cache:6380/2');
    expect(redisTarget('rediss://:hunter2@cache')).toBe('rediss://cache:6379/0');
    expect(redisTarget('redis://[::1]:7000')).toBe('redis://[::1]:7000/0');
    expect(redisTarget('not a url')).not.toContain('not a url');
  });

  describe.each([
    ['in the user info', (port: number, pw: string) => `redis://default:${pw}@127.0.0.1:${port}/1`],
    ['in the query', (port: number, pw: string) => `redis://127.0.0.1:${port}/1?password=${pw}`],
  ])('password %s', (_where, urlOf) => {
    let server: RedisProcess;
    const password = `pw-${Math.random().toString(36).slice(2)}-x`;
    beforeAll(async () => {
      server = await startRedisServer(['--requirepass', password]);
      others.push(server);
    });

    it('up: the store works, its target and description carry no password', async () => {
      const store = await openStore({ type: 'redis', url: urlOf(server.port, password) });
      try {
        await eventually(() => run(store));
        expect(store.check.target).toBe(`redis://127.0.0.1:${server.port}/1`);
        expect(store.description).not.toContain(password);
        expect(store.description).not.toContain('default');
      } finally {
        await store.close();
      }
    });

    it('down: the error names the target without the password', async () => {
      const store = await openStore({ type: 'redis', url: urlOf(server.port, password) });
      await server.stop();
      try {
        const error = (await run(store).then(
          () => new Error('no error'),
          (e: unknown) => e as Error,
        )) as Error;
        expect(error.message).toContain(`redis://127.0.0.1:${server.port}/1`);
        expect(error.message).not.toContain(password);
        expect(error.message).not.toContain('password=');
      } finally {
        await store.close();
        await server.start();
      }
    });

    it('a wrong password: refused, and neither password is shown', async () => {
      const store = await openStore({ type: 'redis', url: urlOf(server.port, `${password}-wrong`) });
      try {
        await expect(run(store)).rejects.toThrow(/redis:\/\/127\.0\.0\.1:\d+\/1\b/);
        const message = await run(store).catch((e: unknown) => (e as Error).message);
        expect(message).not.toContain(password);
      } finally {
        await store.close();
      }
    });
  });

  it('a password given apart (URL-special characters included) is merged into the URL, and never shown', async () => {
    const password = 'ap@rt:9c%1e/77#?';
    const server = await startRedisServer(['--requirepass', password]);
    others.push(server);
    const store = await openStore({ type: 'redis', url: `redis://127.0.0.1:${server.port}`, password });
    try {
      await eventually(() => run(store));
      expect(`${store.description} ${store.check.target}`).not.toContain(password);
    } finally {
      await store.close();
    }
  });
});

/** The server's session store wiring and its readiness check, against a real redis-server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../../../test/helpers/redis.ts';
import { openStore, redactRedisUrl, type ServerStore } from '../../src/server/store.ts';

let redis: TestRedis;
let opened: ServerStore;
beforeAll(async () => {
  redis = await startRedis();
  opened = await openStore({ type: 'redis', url: redis.url });
});
afterAll(async () => {
  await opened?.close();
  await redis?.stop();
});

const run = (store: ServerStore, timeoutMs = 3000) => store.check.run(AbortSignal.timeout(timeoutMs));

describe('openStore', () => {
  it('memory: no store for createBff (its default), always ready', async () => {
    const memory = await openStore({ type: 'memory' });
    expect(memory.store).toBeUndefined();
    await expect(run(memory)).resolves.toBeUndefined();
  });

  it('redis: a RedisSessionStore whose PING is the readiness check', async () => {
    expect(opened.store).toBeDefined();
    expect(opened.description).toBe(`redis ${redis.url}`);
    await expect(run(opened)).resolves.toBeUndefined();
    await opened.store!.set('x', { a: 1 }, 10_000);
    expect(await opened.store!.get('x')).toEqual({ a: 1 });
  });

  it('redis: the check fails naming the store while Redis is down, and recovers', async () => {
    await redis.stop();
    try {
      await expect(run(opened)).rejects.toThrow(`redis ${redis.url}`);
    } finally {
      await redis.start();
    }
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        await run(opened);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });

  it('never shows a Redis password', () => {
    expect(redactRedisUrl('redis://user:hunter2@cache:6379/0')).toBe('redis://user:***@cache:6379/0');
    expect(redactRedisUrl('not a url')).not.toContain('not a url');
  });
});

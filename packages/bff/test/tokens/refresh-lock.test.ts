/** The cross-instance refresh lock against a real redis-server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../../src/session/redis-store.ts';
import { withRefreshLock } from '../../src/tokens/refresh-lock.ts';
import { startRedis, type TestRedis } from '../../../../test/helpers/redis.ts';

let redis: TestRedis;
let one: RedisSessionStore;
let two: RedisSessionStore;
beforeAll(async () => {
  redis = await startRedis();
  one = new RedisSessionStore({ url: redis.url });
  two = new RedisSessionStore({ url: redis.url });
});
afterAll(async () => {
  await one?.close();
  await two?.close();
  await redis?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('withRefreshLock', () => {
  it('keeps the lease alive while a slow refresh runs: no second holder meanwhile', async () => {
    const lease = 300;
    let running = 0;
    let overlap = false;
    const slowRefresh = async () => {
      running++;
      if (running > 1) overlap = true;
      await sleep(1000); // more than three leases
      running--;
      return 'fresh tokens';
    };
    let result: string | undefined;
    const settled = async () => result;
    const first = withRefreshLock(one, 'refresh:s1', settled, async () => (result = await slowRefresh()), lease);
    await sleep(50);
    const second = withRefreshLock(two, 'refresh:s1', settled, slowRefresh, lease);
    expect(await first).toBe('fresh tokens');
    // The waiter took the holder's result from the store instead of refreshing again.
    expect(await second).toBe('fresh tokens');
    expect(overlap).toBe(false);
  });

  it('a crashed holder blocks the session for one lease at most', async () => {
    await one.acquireLock('refresh:s2', 200); // never released, never renewed
    const started = Date.now();
    const value = await withRefreshLock(two, 'refresh:s2', async () => undefined, async () => 'refreshed', 200);
    expect(value).toBe('refreshed');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('without store locks, just runs the work (single process: single-flight covers it)', async () => {
    const memoryLike = { get: async () => undefined, set: async () => {}, destroy: async () => {} };
    expect(await withRefreshLock(memoryLike, 'x', async () => undefined, async () => 42)).toBe(42);
  });
});

/** The cross-instance refresh lock against a real redis-server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../../src/session/redis-store.ts';
import { withRefreshLock } from '../../src/tokens/refresh-lock.ts';
import { Redis } from 'ioredis';
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
    const value = await withRefreshLock(
      two,
      'refresh:s2',
      async () => undefined,
      async () => 'refreshed',
      200,
    );
    expect(value).toBe('refreshed');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('without store locks, just runs the work (single process: single-flight covers it)', async () => {
    const memoryLike = { get: async () => undefined, set: async () => {}, destroy: async () => {} };
    expect(
      await withRefreshLock(
        memoryLike,
        'x',
        async () => undefined,
        async () => 42,
      ),
    ).toBe(42);
  });

  it('a holder whose lease lapsed (a paused process) does not start its grant: it waits for the new holder', async () => {
    const lease = 200;
    const grants: string[] = [];
    let stored: string | undefined;
    const settled = async () => stored;
    const first = withRefreshLock(
      one,
      'refresh:s3',
      settled,
      async (lock) => {
        // The lease lapses (as for a process paused longer than the lease): the key is gone, and
        // another instance takes the lock and refreshes before this holder gets to its grant.
        const raw = new Redis(redis.url);
        await raw.del(...(await raw.keys('*refresh:s3*')));
        raw.disconnect();
        await secondDone;
        await lock.confirm();
        grants.push('first');
        return 'first tokens';
      },
      lease,
    );
    let done: () => void = () => {};
    const secondDone = new Promise<void>((r) => (done = r));
    await sleep(50);
    const second = waitForKeyGone()
      .then(() =>
        withRefreshLock(
          two,
          'refresh:s3',
          settled,
          async () => {
            grants.push('second');
            return (stored = 'second tokens');
          },
          lease,
        ),
      )
      .finally(done);
    expect(await second).toBe('second tokens');
    expect(await first).toBe('second tokens');
    expect(grants).toEqual(['second']);
  });
});

/** Resolves once no refresh lock key of session s3 is left. */
async function waitForKeyGone(): Promise<void> {
  const raw = new Redis(redis.url);
  try {
    while ((await raw.keys('*refresh:s3*')).length > 0) await sleep(10);
  } finally {
    raw.disconnect();
  }
}

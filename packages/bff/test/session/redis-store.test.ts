/** RedisSessionStore against a real redis-server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../../src/session/redis-store.ts';
import { startRedis, type TestRedis } from '../../../../test/helpers/redis.ts';

let redis: TestRedis;
let store: RedisSessionStore;
beforeAll(async () => {
  redis = await startRedis();
  store = new RedisSessionStore({ url: redis.url, prefix: 't:' });
});
afterAll(async () => {
  await store?.close();
  await redis?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RedisSessionStore', () => {
  it('stores, reads and destroys records', async () => {
    await store.set('a', { hello: 'world' }, 10_000);
    expect(await store.get('a')).toEqual({ hello: 'world' });
    await store.destroy('a');
    expect(await store.get('a')).toBeUndefined();
    await store.destroy('never-there');
  });

  it('expires records with their TTL', async () => {
    await store.set('short', { x: 1 }, 100);
    expect(await store.get('short')).toBeDefined();
    await sleep(200);
    expect(await store.get('short')).toBeUndefined();
  });

  it('take reads once', async () => {
    await store.set('state:1', { v: 1 }, 10_000);
    const [first, second] = await Promise.all([store.take('state:1'), store.take('state:1')]);
    expect([first, second].filter(Boolean)).toEqual([{ v: 1 }]);
  });

  it('indexes by sid and sub, and re-indexes on set', async () => {
    await store.set('s1', {}, 10_000, { sub: 'alice', sid: 'p1' });
    await store.set('s2', {}, 10_000, { sub: 'alice', sid: 'p2' });
    await store.set('s3', {}, 10_000, { sub: 'bob', sid: 'p3' });
    expect((await store.findIds({ sub: 'alice' })).sort()).toEqual(['s1', 's2']);
    expect(await store.findIds({ sid: 'p2' })).toEqual(['s2']);
    await store.set('s2', {}, 10_000, { sub: 'bob', sid: 'p3' });
    expect(await store.findIds({ sub: 'alice' })).toEqual(['s1']);
    expect(await store.findIds({ sid: 'p2' })).toEqual([]);
    await store.destroy('s1');
    expect(await store.findIds({ sub: 'alice' })).toEqual([]);
  });

  it('leaves no stale index entries behind expired sessions', async () => {
    await store.set('e1', {}, 100, { sub: 'carol', sid: 'pc' });
    await sleep(250);
    expect(await store.findIds({ sub: 'carol' })).toEqual([]);
    // The index keys themselves expire with their last member.
    const keys = (await redis.dump()).map((e) => e.key);
    expect(keys.filter((k) => k.includes('carol') || k.includes(':pc'))).toEqual([]);
    // A new session of the same user trims old members too.
    await store.set('e2', {}, 100, { sub: 'dave' });
    await sleep(150);
    await store.set('e3', {}, 10_000, { sub: 'dave' });
    expect(await store.client.zrange('t:sub:dave', '0', '-1')).toEqual(['e3']);
  });

  it('locks: one holder, extend and release by the holder only, lease expiry frees a crashed holder', async () => {
    const lock = await store.acquireLock('l', 200);
    expect(lock).toBeDefined();
    expect(await store.acquireLock('l', 200)).toBeUndefined();
    expect(await lock!.extend(500)).toBe(true);
    await sleep(300);
    expect(await store.acquireLock('l', 200)).toBeUndefined();
    await lock!.release();
    const next = await store.acquireLock('l', 100);
    expect(next).toBeDefined();
    await sleep(150); // the "crashed" holder never releases
    const after = await store.acquireLock('l', 100);
    expect(after).toBeDefined();
    expect(await next!.extend(100)).toBe(false);
  });

  it('fails closed with temporarily_unavailable while Redis is down, and recovers', async () => {
    await store.set('keep', { v: 1 }, 60_000);
    await redis.stop();
    await expect(store.get('keep')).rejects.toMatchObject({ status: 503, code: 'temporarily_unavailable' });
    await redis.start();
    let value;
    for (let i = 0; i < 50 && value === undefined; i++) {
      value = await store.get('keep').catch(() => undefined);
      if (value === undefined) await sleep(100);
    }
    expect(value).toEqual({ v: 1 });
  });
});

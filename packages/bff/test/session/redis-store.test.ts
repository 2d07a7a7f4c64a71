/** RedisSessionStore against a real redis-server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisSessionStore } from '../../src/session/redis-store.ts';
import { startRedis, type TestRedis } from '../../../../test/helpers/redis.ts';

let redis: TestRedis;
let store: RedisSessionStore;
let other: RedisSessionStore;
beforeAll(async () => {
  redis = await startRedis();
  store = new RedisSessionStore({ url: redis.url, prefix: 't:' });
  other = new RedisSessionStore({ url: redis.url, prefix: 't:' });
});
afterAll(async () => {
  await store?.close();
  await other?.close();
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

  it("reads never miss another instance's write, and hand out copies the caller may change", async () => {
    await store.set('c1', { auth: { sub: 'alice', tokens: 'one' }, v: '1' }, 10_000);
    const first = (await store.get('c1')) as { auth: { sub: string; tokens: unknown } };
    first.auth.tokens = { accessToken: 'clear' };
    first.auth.sub = 'mallory';
    expect(await store.get('c1')).toEqual({ auth: { sub: 'alice', tokens: 'one' }, v: '1' });
    expect(await other.setIf('c1', { auth: { sub: 'alice', tokens: 'two' }, v: '2' }, 10_000, undefined, '1')).toBe(true);
    expect(await store.get('c1')).toEqual({ auth: { sub: 'alice', tokens: 'two' }, v: '2' });
    await other.destroy('c1');
    expect(await store.get('c1')).toBeUndefined();
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
    // The index keys themselves expire with their last member (plus a one-second grace for clock skew).
    await sleep(1000);
    const keys = (await redis.dump()).map((e) => e.key);
    expect(keys.filter((k) => k.includes('carol') || k.includes(':pc'))).toEqual([]);
    // A new session of the same user trims old members too.
    await store.set('e2', {}, 100, { sub: 'dave' });
    await sleep(1200);
    await store.set('e3', {}, 10_000, { sub: 'dave' });
    expect((await store.client.zrange('t:sub:dave', '0', '-1')).map((m) => m.split(' ')[0])).toEqual(['e3']);
  });

  it('a re-set replaces the index entry of the value it replaces (one entry per session)', async () => {
    for (let i = 0; i < 5; i++) await store.set('r1', { i }, 10_000, { sub: 'erin', sid: 'pe' });
    expect(await store.client.zcard('t:sub:erin')).toBe(1);
    expect(await store.client.zcard('t:sid:pe')).toBe(1);
    await store.destroy('r1');
    expect(await store.client.exists('t:sub:erin', 't:sid:pe')).toBe(0);
  });

  it('findIds trusts records, not the index: a stale entry never reveals nor ends a wrong session', async () => {
    await store.set('v1', { n: 1 }, 10_000, { sub: 'frank', sid: 'pf' });
    await store.set('v2', { n: 2 }, 10_000, { sub: 'grace', sid: 'pg' });
    // Stale hints, as a crash between the index and record steps (or a racing writer) would leave.
    await store.client.zadd('t:sub:frank', Date.now() + 60_000, 'v2 stale');
    await store.client.zadd('t:sid:pf', Date.now() + 60_000, 'v2 stale', Date.now() + 60_000, 'gone stale', Date.now() + 60_000, 'v1');
    expect((await store.findIds({ sub: 'frank' })).sort()).toEqual(['v1']);
    expect(await store.findIds({ sid: 'pf' })).toEqual(['v1']);
    expect(await store.findIds({ sid: 'pf', sub: 'grace' })).toEqual([]);
    expect(await store.findIds({ sid: 'pg', sub: 'grace' })).toEqual(['v2']);
    // A record that lost its index (re-set without one) is no longer found through its old entries.
    await store.set('v1', { n: 3 }, 10_000);
    expect(await store.findIds({ sub: 'frank' })).toEqual([]);
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

  it('add stores only when nothing is stored; of concurrent adds exactly one wins', async () => {
    expect(await store.add('jti:a', { at: 1 }, 10_000)).toBe(true);
    expect(await store.add('jti:a', { at: 2 }, 10_000)).toBe(false);
    expect(await store.get('jti:a')).toEqual({ at: 1 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.add('jti:b', { i }, 10_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    await store.add('jti:c', {}, 100);
    await sleep(150);
    expect(await store.add('jti:c', { again: true }, 10_000)).toBe(true);
  });

  it("setIf: null means nothing stored, a string the stored record's v; the index follows the write", async () => {
    expect(await store.setIf('c1', { v: '1', n: 1 }, 10_000, { sub: 'hank', sid: 'ph' }, null)).toBe(true);
    expect(await store.setIf('c1', { v: 'x' }, 10_000, undefined, null)).toBe(false);
    expect(await store.setIf('c1', { v: '2' }, 10_000, { sub: 'hank', sid: 'ph2' }, '0')).toBe(false);
    expect(await store.get('c1')).toEqual({ v: '1', n: 1 });
    expect(await store.findIds({ sid: 'ph' })).toEqual(['c1']);
    expect(await store.client.exists('t:sid:ph2')).toBe(0); // the refused write left no index entry
    expect(await store.setIf('c1', { v: '2', n: 2 }, 10_000, { sub: 'hank', sid: 'ph2' }, '1')).toBe(true);
    expect(await store.get('c1')).toEqual({ v: '2', n: 2 });
    expect(await store.findIds({ sid: 'ph2' })).toEqual(['c1']);
    expect(await store.findIds({ sid: 'ph' })).toEqual([]);
    expect(await store.setIf('none', { v: '1' }, 10_000, undefined, '1')).toBe(false);
    expect(await store.get('none')).toBeUndefined();
  });

  it('setIf: a tombstone or a record without a string v never matches a version', async () => {
    await store.set('c2', { ended: 123 }, 10_000);
    for (const expected of [null, '', 'undefined', '123']) expect(await store.setIf('c2', { v: '1' }, 10_000, { sub: 'ivy' }, expected)).toBe(false);
    await store.set('c3', { v: 7 }, 10_000);
    expect(await store.setIf('c3', { v: '8' }, 10_000, undefined, '7')).toBe(false);
    expect(await store.get('c2')).toEqual({ ended: 123 });
    expect(await store.findIds({ sub: 'ivy' })).toEqual([]);
  });

  it('setIf: an expired record counts as nothing stored', async () => {
    await store.setIf('c4', { v: '1' }, 100, { sub: 'jo' }, null);
    await sleep(150);
    expect(await store.setIf('c4', { v: '2' }, 10_000, { sub: 'jo' }, '1')).toBe(false);
    expect(await store.setIf('c4', { v: '2' }, 10_000, { sub: 'jo' }, null)).toBe(true);
  });

  it('setIf: of writers racing on the same expected version exactly one wins, every time', async () => {
    for (let round = 0; round < 20; round++) {
      const id = `race${round}`;
      await store.set(id, { v: 'base' }, 10_000, { sub: 'kim' });
      // Two stores = two connections, as two BFF instances would race.
      const results = await Promise.all([store.setIf(id, { v: 'a' }, 10_000, { sub: 'kim' }, 'base'), other.setIf(id, { v: 'b' }, 10_000, { sub: 'kim' }, 'base')]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.get(id)).toEqual({ v: results[0] ? 'a' : 'b' });
    }
    expect((await store.findIds({ sub: 'kim' })).length).toBe(20);
    expect(await store.client.zcard('t:sub:kim')).toBe(20); // the losers' entries were removed
  });

  it('roundTrip writes, reads and deletes through the store; inspect reports persistence and policy', async () => {
    await store.roundTrip();
    expect((await redis.dump()).filter((e) => e.key.includes('probe'))).toEqual([]);
    expect(await store.inspect()).toEqual({ persistence: { aof: true, rdb: false }, maxmemoryPolicy: 'noeviction', mode: 'standalone' });
  });

  it('inspect says unknown where the server refuses CONFIG and INFO; errors never show a password', async () => {
    const admin = new Redis(redis.url);
    const password = 'Sekr3t-p4ss:word@x';
    try {
      await admin.call('ACL', 'SETUSER', 'limited', 'on', `>${password}`, '~*', '+@all', '-config', '-info');
      const url = `redis://limited:${encodeURIComponent(password)}@127.0.0.1:${redis.port}`;
      const limited = new RedisSessionStore({ url, prefix: 't:' });
      try {
        await limited.roundTrip();
        expect(await limited.inspect()).toEqual({ persistence: { aof: false, rdb: false }, maxmemoryPolicy: 'unknown', mode: 'standalone' });
      } finally {
        await limited.close();
      }
      const wrong = new RedisSessionStore({ url: `redis://limited:${encodeURIComponent(password)}x@127.0.0.1:${redis.port}`, prefix: 't:', commandTimeout: 500 });
      try {
        const error = await wrong.roundTrip().then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        expect(error?.message).toMatch(/round trip/);
        expect(error?.message).toContain(`127.0.0.1:${redis.port}`);
        for (const text of [error!.message, String(error!.cause ?? '')]) {
          expect(text).not.toContain(password);
          expect(text).not.toContain(encodeURIComponent(password));
        }
        const failed = await wrong.get('x').then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        expect(failed).toMatchObject({ status: 503 });
        expect(JSON.stringify({ m: failed!.message, c: (failed!.cause as Error).message })).not.toContain('Sekr3t');
      } finally {
        await wrong.close();
      }
    } finally {
      await admin.call('ACL', 'DELUSER', 'limited');
      admin.disconnect();
    }
  });

  it('refuses malformed connection options with messages that never show a password', () => {
    const attempts: Array<() => unknown> = [
      () => new RedisSessionStore({ cluster: [] }),
      () => new RedisSessionStore({ cluster: ['http://:Pw-Hidden-1@host:1'] }),
      () => new RedisSessionStore({ cluster: ['not a url Pw-Hidden-1'] }),
      () => new RedisSessionStore({ sentinels: ['no-port'], name: 'm', password: 'Pw-Hidden-1' }),
      () => new RedisSessionStore({ sentinels: [], name: 'm' }),
    ];
    for (const attempt of attempts) {
      expect(attempt).toThrow(TypeError);
      try {
        attempt();
      } catch (err) {
        expect((err as Error).message).toMatch(/RedisSessionStore/);
        expect((err as Error).message).not.toContain('Pw-Hidden-1');
      }
    }
  });

  it('describes its target without passwords (URL userinfo and ?password=)', async () => {
    const a = new RedisSessionStore({ url: `redis://user:Pw%2FHidden@127.0.0.1:${redis.port}/0?password=Other-Hidden` });
    const b = new RedisSessionStore({ cluster: ['rediss://:Pw-Hidden-2@127.0.0.1:1'] });
    try {
      expect(a.target).toBe(`redis://user:***@127.0.0.1:${redis.port}/0?password=***`);
      expect(a.mode).toBe('standalone');
      expect(b.target).toBe('cluster 127.0.0.1:1');
      expect(b.mode).toBe('cluster');
      expect(a.scrub('x Pw/Hidden y Pw%2FHidden z Other-Hidden')).toBe('x *** y *** z ***');
    } finally {
      await a.close();
      await b.close();
    }
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

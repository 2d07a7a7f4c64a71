/**
 * RedisSessionStore through a real Redis Sentinel (primary + replica +
 * sentinel, passwords on both): the store methods, readiness checks (a
 * sentinel port given as a plain Redis URL fails them), and a primary killed
 * mid-traffic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../../src/session/redis-store.ts';
import { startRedisSentinel, type TestRedisSentinel } from '../../../../test/helpers/redis-sentinel.ts';

const PASSWORD = 'data-S3cret!';
const SENTINEL_PASSWORD = 'sentinel-S3cret!';
let setup: TestRedisSentinel;
let store: RedisSessionStore;
let second: RedisSessionStore;
beforeAll(async () => {
  setup = await startRedisSentinel({ password: PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
  const options = { sentinels: setup.sentinels, name: setup.name, password: PASSWORD, sentinelPassword: SENTINEL_PASSWORD, prefix: 'st:' };
  store = new RedisSessionStore(options);
  second = new RedisSessionStore(options);
}, 30_000);
afterAll(async () => {
  await store?.close();
  await second?.close();
  await setup?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RedisSessionStore through Redis Sentinel', () => {
  it('stores, indexes, compares-and-sets and locks through the primary the sentinel names', async () => {
    await store.set('a', { hello: 'world' }, 30_000, { sub: 'alice', sid: 'p1' });
    expect(await second.get('a')).toEqual({ hello: 'world' });
    expect(await second.findIds({ sid: 'p1' })).toEqual(['a']);
    expect(await store.setIf('b', { v: '1' }, 30_000, { sub: 'bob' }, null)).toBe(true);
    const race = await Promise.all([store.setIf('b', { v: 'x' }, 30_000, { sub: 'bob' }, '1'), second.setIf('b', { v: 'y' }, 30_000, { sub: 'bob' }, '1')]);
    expect(race.filter(Boolean)).toHaveLength(1);
    expect(await store.add('jti:1', {}, 30_000)).toBe(true);
    expect(await second.add('jti:1', {}, 30_000)).toBe(false);
    expect(await store.take('a')).toEqual({ hello: 'world' });
    expect(await second.findIds({ sub: 'alice' })).toEqual([]);
    const lock = await store.acquireLock('l', 500);
    expect(lock).toBeDefined();
    expect(await second.acquireLock('l', 500)).toBeUndefined();
    await lock!.release();
  });

  it('roundTrip and inspect: sentinel mode, append-only', async () => {
    await store.roundTrip();
    expect(await store.inspect()).toEqual({ persistence: { aof: true, rdb: false }, maxmemoryPolicy: 'noeviction', mode: 'sentinel' });
  });

  it('a sentinel port given as a plain Redis URL answers PING but fails roundTrip, with a clear message and no password', async () => {
    const wrong = new RedisSessionStore({ url: `redis://:${encodeURIComponent(SENTINEL_PASSWORD)}@${setup.sentinels[0]}`, commandTimeout: 1000 });
    try {
      await wrong.ping();
      const error = await wrong.roundTrip().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toMatch(/Redis Sentinel.*\{ sentinels: \["host:port"\], name \}/);
      expect(error?.message).not.toContain(SENTINEL_PASSWORD);
      expect(error?.message).not.toContain(encodeURIComponent(SENTINEL_PASSWORD));
    } finally {
      await wrong.close();
    }
  });

  it('a wrong sentinel password fails roundTrip without showing it', async () => {
    const wrong = new RedisSessionStore({ sentinels: setup.sentinels, name: setup.name, password: PASSWORD, sentinelPassword: 'not-the-Sentinel-one', commandTimeout: 1000 });
    try {
      const error = await wrong.roundTrip().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toMatch(/round trip/);
      expect(error?.message).not.toContain('not-the-Sentinel-one');
      expect(error?.message).not.toContain(PASSWORD);
    } finally {
      await wrong.close();
    }
  });

  it('the primary killed mid-traffic: 503s during the failover, then the same store goes on and nothing acknowledged is lost', async () => {
    const old = await setup.masterPort();
    const acked = new Map<string, number>();
    let stop = false;
    let failures = 0;
    let n = 0;
    const writer = async () => {
      while (!stop) {
        const mine = n++;
        try {
          await store.set(`loop-${mine}`, { n: mine }, 60_000, { sub: 'loop' });
          acked.set(`loop-${mine}`, Date.now());
          expect(await store.get(`loop-${mine}`)).toEqual({ n: mine });
        } catch (err) {
          expect(err).toMatchObject({ status: 503, code: 'temporarily_unavailable' });
          failures++;
          await sleep(20);
        }
      }
    };
    const loops = [writer(), writer()];
    await sleep(300);
    const killedAt = Date.now();
    await setup.kill(old);
    const ackedBeforeKill = [...acked].filter(([, at]) => at <= killedAt).map(([id]) => id);
    let recoveredAt = 0;
    for (let round = 0; !recoveredAt; round++) {
      try {
        await store.set('probe', { round }, 60_000);
        recoveredAt = Date.now();
      } catch {
        expect(Date.now() - killedAt).toBeLessThan(20_000);
        await sleep(50);
      }
    }
    await sleep(300);
    stop = true;
    await Promise.all(loops);
    const promoted = await setup.waitForFailover(old);
    console.info(
      `sentinel failover: writes recovered ${recoveredAt - killedAt} ms after the kill; ${failures} operations failed (503) meanwhile; ${ackedBeforeKill.length} records acknowledged before the kill`,
    );
    expect(promoted).not.toBe(old);
    const lost = (await Promise.all(ackedBeforeKill.map(async (id) => ((await second.get(id)) ? undefined : id)))).filter(Boolean);
    expect(lost).toEqual([]);
    await store.roundTrip();
    await second.roundTrip();
  }, 30_000);
});

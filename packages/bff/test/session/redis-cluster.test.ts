/**
 * RedisSessionStore on a real Redis Cluster (3 primaries + 3 replicas, with a
 * password): every method with keys spread over all primaries, the index as
 * verified hints, locks, readiness checks, and a primary killed mid-traffic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../../src/session/redis-store.ts';
import { startRedisCluster, type TestRedisCluster } from '../../../../test/helpers/redis-cluster.ts';
import { startRedis, type TestRedis } from '../../../../test/helpers/redis.ts';

const PASSWORD = 'cluster-S3cret!';
const PREFIX = 'c:';
let cluster: TestRedisCluster;
let store: RedisSessionStore;
let second: RedisSessionStore;
beforeAll(async () => {
  cluster = await startRedisCluster({ password: PASSWORD });
  // Seeds: two nodes are enough, the rest is discovered.
  store = new RedisSessionStore({ cluster: cluster.urls.slice(0, 2), prefix: PREFIX });
  second = new RedisSessionStore({ cluster: cluster.urls.slice(3), prefix: PREFIX });
}, 30_000);
afterAll(async () => {
  await store?.close();
  await second?.close();
  await cluster?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ids = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}-${Math.random().toString(36).slice(2)}`);

describe('RedisSessionStore on Redis Cluster', () => {
  it('spreads records over every primary, and set/get/destroy/take/add work on all of them', async () => {
    const all = ids(60, 's');
    const masters = new Set(await Promise.all(all.slice(0, 12).map((id) => cluster.masterPortOf(`${PREFIX}sess:${id}`))));
    expect(masters.size).toBe(3);
    await Promise.all(all.map((id, n) => store.set(id, { n }, 30_000, { sub: `user${n % 5}`, sid: `op-${n}` })));
    expect(await Promise.all(all.map((id) => second.get(id)))).toEqual(all.map((_, n) => ({ n })));
    await Promise.all(all.slice(0, 20).map((id) => store.destroy(id)));
    expect((await Promise.all(all.slice(0, 20).map((id) => second.get(id)))).filter(Boolean)).toEqual([]);
    const taken = await Promise.all(all.slice(20, 40).flatMap((id) => [store.take(id), second.take(id)]));
    expect(taken.filter(Boolean)).toHaveLength(20);
    const added = await Promise.all(all.slice(0, 30).flatMap((id) => [store.add(`jti:${id}`, {}, 30_000), second.add(`jti:${id}`, {}, 30_000)]));
    expect(added.filter(Boolean)).toHaveLength(30);
  });

  it('finds sessions by sub and by sid across slots, and re-indexes on set', async () => {
    const all = ids(30, 'f');
    await Promise.all(all.map((id, n) => store.set(id, {}, 30_000, { sub: n % 2 ? 'odd' : 'even', sid: `fsid-${n % 3}` })));
    expect((await second.findIds({ sub: 'odd' })).sort()).toEqual(all.filter((_, n) => n % 2).sort());
    expect((await second.findIds({ sid: 'fsid-1' })).sort()).toEqual(all.filter((_, n) => n % 3 === 1).sort());
    expect((await second.findIds({ sid: 'fsid-1', sub: 'odd' })).sort()).toEqual(all.filter((_, n) => n % 3 === 1 && n % 2).sort());
    await store.set(all[1]!, {}, 30_000, { sub: 'even', sid: 'fsid-x' });
    await store.destroy(all[3]!);
    expect(await second.findIds({ sub: 'odd' })).not.toContain(all[1]);
    expect(await second.findIds({ sub: 'odd' })).not.toContain(all[3]);
    expect(await second.findIds({ sid: 'fsid-x' })).toEqual([all[1]]);
  });

  it('a stale index entry (another slot than the record) never reveals nor ends a wrong session', async () => {
    const [victim, other] = ids(2, 'st');
    await store.set(victim!, { mine: true }, 30_000, { sub: 'victim', sid: 'vsid' });
    await store.set(other!, { other: true }, 30_000, { sub: 'other', sid: 'osid' });
    // Entries that point at the wrong records, as a crash between the steps would leave.
    await store.client.zadd(`${PREFIX}sub:victim`, Date.now() + 60_000, `${other} forged`);
    await store.client.zadd(`${PREFIX}sid:vsid`, Date.now() + 60_000, `${other} forged`, Date.now() + 60_000, 'nobody forged');
    expect(await second.findIds({ sub: 'victim' })).toEqual([victim]);
    expect(await second.findIds({ sid: 'vsid' })).toEqual([victim]);
    expect(await second.get(other!)).toEqual({ other: true });
  });

  it('setIf is compare-and-set on every primary: of two racing writers exactly one wins', async () => {
    const all = ids(30, 'cas');
    await Promise.all(all.map((id) => store.setIf(id, { v: '1' }, 30_000, { sub: 'cas' }, null)));
    const results = await Promise.all(all.map((id) => Promise.all([store.setIf(id, { v: 'a' }, 30_000, { sub: 'cas' }, '1'), second.setIf(id, { v: 'b' }, 30_000, { sub: 'cas' }, '1')])));
    for (const pair of results) expect(pair.filter(Boolean)).toHaveLength(1);
    expect(await store.setIf(all[0]!, { v: '2' }, 30_000, undefined, null)).toBe(false);
    await store.set(all[0]!, { ended: 1 }, 30_000);
    expect(await store.setIf(all[0]!, { v: '2' }, 30_000, undefined, 'a')).toBe(false);
    expect(await store.setIf(all[0]!, { v: '2' }, 30_000, undefined, 'b')).toBe(false);
    expect((await second.findIds({ sub: 'cas' })).length).toBe(29);
  });

  it('locks work on every primary: one holder, extend/release by the holder, lease expiry', async () => {
    const names = ids(12, 'lock');
    const first = await Promise.all(names.map((n) => store.acquireLock(n, 300)));
    expect(first.every(Boolean)).toBe(true);
    expect((await Promise.all(names.map((n) => second.acquireLock(n, 300)))).filter(Boolean)).toEqual([]);
    expect(await Promise.all(first.map((l) => l!.extend(600)))).toEqual(names.map(() => true));
    await Promise.all(first.slice(0, 6).map((l) => l!.release()));
    expect((await Promise.all(names.slice(0, 6).map((n) => second.acquireLock(n, 100)))).every(Boolean)).toBe(true);
    await sleep(700);
    expect((await Promise.all(names.slice(6).map((n) => second.acquireLock(n, 100)))).every(Boolean)).toBe(true);
    expect(await first[6]!.extend(100)).toBe(false);
  });

  it('roundTrip and inspect: a cluster, append-only, noeviction', async () => {
    await store.roundTrip();
    expect(await store.inspect()).toEqual({ persistence: { aof: true, rdb: false }, maxmemoryPolicy: 'noeviction', mode: 'cluster' });
    await store.ping();
  });

  it('roundTrip fails with a clear message (and no password) for a cluster node given as one Redis, or a single Redis given as a cluster', async () => {
    const single = new RedisSessionStore({ url: cluster.urls[0]!, commandTimeout: 1000 });
    let redis: TestRedis | undefined;
    let notCluster: RedisSessionStore | undefined;
    try {
      const error = await single.roundTrip().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toMatch(/one node of a Redis Cluster.*\{ cluster: \[seed URLs\] \}/);
      expect(error?.message).not.toContain(PASSWORD);
      expect(error?.message).not.toContain(encodeURIComponent(PASSWORD));
      redis = await startRedis();
      notCluster = new RedisSessionStore({ cluster: [redis.url], commandTimeout: 1000 });
      const wrong = await notCluster.roundTrip().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(wrong?.message).toMatch(/round trip/);
      expect(wrong?.message).toMatch(/cluster support disabled|refresh slots/i);
    } finally {
      await single.close();
      await notCluster?.close();
      await redis?.stop();
    }
  });

  it('a primary killed mid-traffic: 503s while it fails over, then every acknowledged record is there', async () => {
    const probe = 'probe-failover';
    await store.set(probe, { v: '0' }, 60_000, { sub: 'probe' });
    const victim = await cluster.masterPortOf(`${PREFIX}sess:${probe}`);
    const acked = new Map<string, number>();
    let stop = false;
    let failures = 0;
    let n = 0;
    const writer = async () => {
      while (!stop) {
        const mine = n++;
        const id = `loop-${mine}`;
        try {
          await store.set(id, { n: mine }, 60_000, { sub: 'loop' });
          acked.set(id, Date.now());
          const back = await store.get(id);
          expect(back).toEqual({ n: mine });
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
    await cluster.kill(victim);
    const ackedBeforeKill = [...acked].filter(([, at]) => at <= killedAt).map(([id]) => id);
    // Recovery: the probe's slot accepts writes again (its replica was promoted).
    let recoveredAt = 0;
    for (let round = 0; !recoveredAt; round++) {
      try {
        await store.set(probe, { v: String(round) }, 60_000, { sub: 'probe' });
        recoveredAt = Date.now();
      } catch {
        expect(Date.now() - killedAt).toBeLessThan(15_000);
        await sleep(50);
      }
    }
    await sleep(300);
    stop = true;
    await Promise.all(loops);
    console.info(
      `cluster failover: writes to the killed primary's slots recovered ${recoveredAt - killedAt} ms after the kill; ${failures} operations failed (503) meanwhile; ${ackedBeforeKill.length} records acknowledged before the kill`,
    );
    expect(await cluster.masterPortOf(`${PREFIX}sess:${probe}`)).not.toBe(victim);
    const lost = (await Promise.all(ackedBeforeKill.map(async (id) => ((await store.get(id)) ? undefined : id)))).filter(Boolean);
    expect(lost).toEqual([]);
    expect((await store.findIds({ sub: 'probe' })).length).toBe(1);
    await store.roundTrip();
  }, 30_000);

  it('the whole cluster down: 503 at once (fail closed, nothing queued), and the same store recovers when it is back', async () => {
    await store.set('survivor', { kept: true }, 60_000, { sub: 'survivor' });
    await Promise.all(cluster.ports.map((p) => cluster.kill(p)));
    const started = Date.now();
    await expect(store.get('survivor')).rejects.toMatchObject({ status: 503, code: 'temporarily_unavailable' });
    await expect(store.set('during', { lost: true }, 60_000)).rejects.toMatchObject({ status: 503 });
    expect(Date.now() - started).toBeLessThan(2 * 2000 + 500);
    await Promise.all(cluster.ports.map((p) => cluster.restart(p)));
    await cluster.waitHealthy();
    let value: unknown;
    const until = Date.now() + 15_000;
    while (value === undefined && Date.now() < until) {
      value = await store.get('survivor').catch(() => undefined);
      if (value === undefined) await sleep(100);
    }
    expect(value).toEqual({ kept: true });
    expect(await store.findIds({ sub: 'survivor' })).toHaveLength(1);
    await sleep(500);
    expect(await store.get('during')).toBeUndefined(); // the refused write did not run later
    await store.roundTrip();
  }, 30_000);
});

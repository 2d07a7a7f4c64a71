/**
 * The whole BFF on a real Redis Cluster (3 primaries + 3 replicas): two BFF
 * instances behind a round-robin balancer share sessions stored all over the
 * cluster, refresh once across instances, end sessions by back-channel
 * logout, and ride out a primary killed mid-traffic.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisSessionStore, silentLogger } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import { BffClient } from '../helpers/bff-client.ts';
import { startRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.ts';
import { authOf, expireAccessToken, sessionIdOf } from '../helpers/sessions.ts';
import { backChannelLogout, killDuringTraffic } from '../helpers/redis-ha.ts';

let cluster: TestRedisCluster;
let stack: DemoStack;
beforeAll(async () => {
  cluster = await startRedisCluster();
  stack = await startDemoStack({ logger: silentLogger, instances: 2, store: () => new RedisSessionStore({ cluster: cluster.urls }) });
});
afterAll(async () => {
  await stack?.stop();
  await cluster?.stop();
});
beforeEach(() => {
  stack.provider.resetCounts();
});

const signedIn = (user = 'alice') => BffClient.signedIn(stack.baseUrl, user);
const recordKey = (tab: BffClient) => `portcullis:sess:${sessionIdOf(tab)}`;

describe('two BFF instances on one Redis Cluster', () => {
  it('sessions (many tabs of the two demo users) land on several primaries; each instance serves them and proxies their calls', async () => {
    const tabs = await Promise.all(Array.from({ length: 6 }, (_, n) => signedIn(n % 2 ? 'bob' : 'alice')));
    const primaries = new Set(await Promise.all(tabs.map((t) => cluster.masterPortOf(recordKey(t)))));
    expect(primaries.size).toBeGreaterThan(1);
    for (const tab of tabs) {
      for (const instance of stack.instances) {
        const direct = new BffClient(instance.url, tab.jar);
        expect((await direct.user()).status).toBe(200);
        expect((await direct.fetch('/api/todos')).status).toBe(200);
      }
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

  it('back-channel logout by sid ends that session only, on both instances', async () => {
    await backChannelLogout(stack, signedIn);
  });

  it('a primary killed during traffic: calls recover after the failover and the session is still there', async () => {
    const tab = await signedIn();
    const victim = await cluster.masterPortOf(recordKey(tab));
    const before = (await authOf(stack.bff, tab))!;
    const { recoveryMs, statuses } = await killDuringTraffic(tab, () => cluster.kill(victim));
    console.info(`BFF on Redis Cluster: proxied calls answered 200 again ${recoveryMs} ms after the session's primary was killed (statuses meanwhile: ${JSON.stringify(statuses)})`);
    expect(await cluster.masterPortOf(recordKey(tab))).not.toBe(victim);
    expect((await authOf(stack.bff, tab))?.sub).toBe(before.sub);
    expect((await tab.user()).status).toBe(200);
    // A new login works too (login state, callback, session: all on the recovered cluster).
    expect((await (await signedIn('bob')).user()).status).toBe(200);
  });
});

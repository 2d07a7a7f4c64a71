/**
 * The whole BFF through a real Redis Sentinel (primary + replica + sentinel,
 * passwords on data nodes and sentinel): two BFF instances share sessions,
 * refresh once across instances, end sessions by back-channel logout, and
 * ride out the primary killed mid-traffic.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisSessionStore, silentLogger } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import { BffClient } from '../helpers/bff-client.ts';
import { backChannelLogout, killDuringTraffic } from '../helpers/redis-ha.ts';
import { startRedisSentinel, type TestRedisSentinel } from '../helpers/redis-sentinel.ts';
import { authOf, expireAccessToken } from '../helpers/sessions.ts';

let sentinel: TestRedisSentinel;
let stack: DemoStack;
beforeAll(async () => {
  sentinel = await startRedisSentinel({ password: 'data-pass-1', sentinelPassword: 'sentinel-pass-1' });
  const store = () => new RedisSessionStore({ sentinels: sentinel.sentinels, name: sentinel.name, password: 'data-pass-1', sentinelPassword: 'sentinel-pass-1' });
  stack = await startDemoStack({ logger: silentLogger, instances: 2, store });
});
afterAll(async () => {
  await stack?.stop();
  await sentinel?.stop();
});
beforeEach(() => {
  stack.provider.resetCounts();
});

const signedIn = (user = 'alice') => BffClient.signedIn(stack.baseUrl, user);

describe('two BFF instances through Redis Sentinel', () => {
  it('a session made through the balancer is served by each instance, which proxies its calls', async () => {
    const tab = await signedIn();
    for (const instance of stack.instances) {
      const direct = new BffClient(instance.url, tab.jar);
      expect((await direct.user()).status).toBe(200);
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

  it('back-channel logout by sid ends that session only, on both instances', async () => {
    await backChannelLogout(stack, signedIn);
  });

  it('the primary killed during traffic: calls recover after the failover and the session is still there', async () => {
    const tab = await signedIn();
    const old = await sentinel.masterPort();
    const before = (await authOf(stack.bff, tab))!;
    const { recoveryMs, statuses } = await killDuringTraffic(tab, () => sentinel.kill(old));
    console.info(`BFF through Redis Sentinel: proxied calls answered 200 again ${recoveryMs} ms after the primary was killed (statuses meanwhile: ${JSON.stringify(statuses)})`);
    expect(await sentinel.waitForFailover(old)).not.toBe(old);
    expect((await authOf(stack.bff, tab))?.sub).toBe(before.sub);
    expect((await tab.user()).status).toBe(200);
    expect((await (await signedIn('bob')).user()).status).toBe(200);
  });
});

/**
 * `portcullis check` against a real Redis Cluster with a password: the
 * cluster configured by PORTCULLIS_REDIS_CLUSTER and PORTCULLIS_REDIS_PASSWORD
 * passes the round trip, one node given as PORTCULLIS_REDIS_URL does not, and
 * the password is never shown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.ts';
import { CLIENT_ID, freePort, newSessionKey, runPortcullis, startUpstreams, type Upstreams } from './server-harness.ts';

const password = `cluster-pw-${Math.random().toString(36).slice(2, 10)}`;
let cluster: TestRedisCluster;
let upstreams: Upstreams;
let env: Record<string, string>;

beforeAll(async () => {
  [cluster, upstreams] = await Promise.all([startRedisCluster({ password }), startUpstreams(`http://localhost:${await freePort()}`)]);
  env = {
    PORTCULLIS_ISSUER: upstreams.provider.issuer,
    PORTCULLIS_CLIENT_ID: CLIENT_ID,
    PORTCULLIS_CLIENT_SECRET: upstreams.secret,
    PORTCULLIS_BASE_URL: 'http://localhost:3000',
    PORTCULLIS_SESSION_KEYS: newSessionKey(),
    PORTCULLIS_REDIS_PASSWORD: password,
  };
});

afterAll(async () => {
  await cluster?.stop();
  await upstreams?.stop();
});

describe('portcullis check with a Redis Cluster', () => {
  it('PORTCULLIS_REDIS_CLUSTER + PORTCULLIS_REDIS_PASSWORD: a round trip through the cluster', async () => {
    const seeds = cluster.ports.slice(0, 2).map((port) => `redis://127.0.0.1:${port}`);
    const { code, output } = await runPortcullis(['check'], { ...env, PORTCULLIS_REDIS_CLUSTER: seeds.join(',') });
    expect(code, output).toBe(0);
    expect(output).toMatch(/store\s+cluster redis:\/\/127\.0\.0\.1:\d+, redis:\/\/127\.0\.0\.1:\d+: OK/);
    expect(output).not.toContain(password);
  });

  it('one cluster node as PORTCULLIS_REDIS_URL fails the check, naming the cure', async () => {
    const { code, output } = await runPortcullis(['check'], { ...env, PORTCULLIS_REDIS_URL: `redis://127.0.0.1:${cluster.ports[0]}` });
    expect(code, output).toBe(1);
    expect(output).toContain('portcullis check: FAILED (store)');
    expect(output).toMatch(/Redis Cluster/);
    expect(output).not.toContain(password);
  });
});

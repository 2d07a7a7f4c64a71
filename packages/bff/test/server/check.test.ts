/** `portcullis check` in-process against real redis-server processes: round trip, persistence and eviction warnings. */
import { afterAll, describe, expect, it } from 'vitest';
import { startRedisServer, startSentinel, type RedisProcess } from '../../../../test/helpers/server-redis.ts';
import { checkConfig, storeWarnings } from '../../src/server/check.ts';
import { loadConfig } from '../../src/server/config.ts';

const ISSUER = 'http://localhost:4999';
// The provider is not what these tests are about: a discovery document that names the issuer,
// and a token endpoint that takes the credentials (invalid_grant for the check's invalid code).
const discovery: typeof fetch = async (input) =>
  String(input).endsWith('/token')
    ? new Response(JSON.stringify({ error: 'invalid_grant' }), { status: 400, headers: { 'content-type': 'application/json' } })
    : new Response(JSON.stringify({ issuer: ISSUER, token_endpoint: `${ISSUER}/token`, scopes_supported: ['openid', 'offline_access'] }), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
const started: RedisProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
});

async function check(env: Record<string, string>) {
  const config = await loadConfig({
    cwd: process.cwd(),
    env: {
      PORTCULLIS_ISSUER: ISSUER,
      PORTCULLIS_CLIENT_ID: 'app',
      PORTCULLIS_CLIENT_SECRET: 'check-secret',
      PORTCULLIS_BASE_URL: 'http://localhost:3000',
      PORTCULLIS_SESSION_KEYS: 'k'.repeat(40),
      ...env,
    },
  });
  return checkConfig(config, { fetch: discovery, timeoutMs: 3000 });
}

describe('checkConfig with Redis', () => {
  it('warns (and stays OK) when Redis has no persistence: a restart logs everyone out', async () => {
    const redis = await startRedisServer(['--save', '', '--appendonly', 'no']);
    started.push(redis);
    const outcome = await check({ PORTCULLIS_REDIS_URL: `redis://127.0.0.1:${redis.port}` });
    expect(outcome.ok, outcome.lines.join('\n')).toBe(true);
    const text = outcome.lines.join('\n');
    expect(text).toMatch(new RegExp(`store\\s+redis://127\\.0\\.0\\.1:${redis.port}/0: OK`));
    expect(text).toMatch(/warning\s+redis has neither AOF nor RDB persistence: a Redis restart logs everyone out/);
    expect(text).not.toMatch(/maxmemory-policy/); // noeviction by default
  });

  it('warns about eviction policies, volatile-* included; none for an AOF Redis with noeviction', async () => {
    const lru = await startRedisServer(['--appendonly', 'yes', '--maxmemory-policy', 'volatile-lru']);
    const safe = await startRedisServer(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']);
    started.push(lru, safe);
    const evicting = (await check({ PORTCULLIS_REDIS_URL: `redis://127.0.0.1:${lru.port}` })).lines.join('\n');
    expect(evicting).toContain('redis maxmemory-policy is volatile-lru: when memory runs out Redis evicts keys, sessions included');
    expect(evicting).not.toContain('persistence');
    const outcome = await check({ PORTCULLIS_REDIS_URL: `redis://127.0.0.1:${safe.port}` });
    expect(outcome.ok).toBe(true);
    expect(outcome.lines.filter((l) => l.includes('warning'))).toEqual([]);
  });

  it('fails when the URL is a Sentinel port (PING answers PONG there, a round trip does not pass)', async () => {
    const sentinel = await startSentinel();
    started.push(sentinel);
    const outcome = await check({ PORTCULLIS_REDIS_URL: `redis://127.0.0.1:${sentinel.port}` });
    expect(outcome.ok).toBe(false);
    expect(outcome.lines[0]).toBe('portcullis check: FAILED (store)');
    expect(outcome.lines.join('\n')).toMatch(/store\s+redis:\/\/127\.0\.0\.1:\d+\/0: FAILED: /);
  });

  it('storeWarnings: every policy but noeviction warns', () => {
    const ok = { persistence: { aof: true, rdb: false }, mode: 'standalone' as const };
    expect(storeWarnings({ ...ok, maxmemoryPolicy: 'noeviction' })).toEqual([]);
    for (const policy of ['allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']) {
      expect(storeWarnings({ ...ok, maxmemoryPolicy: policy }), policy).toHaveLength(1);
    }
    expect(storeWarnings({ persistence: { aof: false, rdb: true }, maxmemoryPolicy: 'noeviction', mode: 'standalone' })).toEqual([]);
  });
});

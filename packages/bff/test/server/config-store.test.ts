/** `session.store` and `trustProxy` in the config file and the environment. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/server/config.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'portcullis-store-config-'));
});

const load = (env: Record<string, string>, content?: unknown) => {
  let file: string | undefined;
  if (content !== undefined) {
    file = path.join(dir, 'c.json');
    writeFileSync(file, JSON.stringify(content));
  }
  return loadConfig({ ...(file ? { file } : {}), env, cwd: dir });
};

async function errorOf(promise: Promise<unknown>): Promise<ConfigError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('session.store', () => {
  it('memory with maxEntries, from the file or PORTCULLIS_MEMORY_MAX_ENTRIES', async () => {
    expect((await load({}, { session: { store: { type: 'memory', maxEntries: 500 } } })).store).toEqual({ type: 'memory', maxEntries: 500 });
    expect((await load({ PORTCULLIS_MEMORY_MAX_ENTRIES: '250' })).store).toEqual({ type: 'memory', maxEntries: 250 });
    expect((await errorOf(load({}, { session: { store: { type: 'memory', maxEntries: 0 } } }))).message).toContain('option "session.store.maxEntries" must be a whole number of at least 1');
    expect((await errorOf(load({ PORTCULLIS_REDIS_URL: 'redis://cache:6379' }, { session: { store: { type: 'redis', maxEntries: 5 } } }))).message).toContain(
      'option "session.store.maxEntries" applies to the memory store, not to "type": "redis" (PORTCULLIS_MEMORY_MAX_ENTRIES)',
    );
  });

  it('redis by URL, cluster or sentinels, each from the file or the environment', async () => {
    expect((await load({ PORTCULLIS_REDIS_URL: 'rediss://cache:6380' })).store).toEqual({ type: 'redis', url: 'rediss://cache:6380' });
    expect((await load({ PORTCULLIS_REDIS_CLUSTER: 'redis://a:7000, redis://b:7001' })).store).toEqual({ type: 'redis', cluster: ['redis://a:7000', 'redis://b:7001'] });
    expect((await load({}, { session: { store: { type: 'redis', cluster: ['redis://a:7000'] } } })).store).toEqual({ type: 'redis', cluster: ['redis://a:7000'] });
    const sentinel = await load({
      PORTCULLIS_REDIS_SENTINELS: 's1:26379,s2:26379',
      PORTCULLIS_REDIS_SENTINEL_NAME: 'mymaster',
      PORTCULLIS_REDIS_PASSWORD: 'data-pw',
      PORTCULLIS_REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
      PORTCULLIS_REDIS_TLS: 'true',
    });
    expect(sentinel.store).toEqual({ type: 'redis', sentinels: ['s1:26379', 's2:26379'], name: 'mymaster', password: 'data-pw', sentinelPassword: 'sentinel-pw', tls: true });
    const inFile = await load({ PW: 'from-env' }, { session: { store: { type: 'redis', sentinels: ['[::1]:26379'], name: 'm', password: { env: 'PW' } } } });
    expect(inFile.store).toEqual({ type: 'redis', sentinels: ['[::1]:26379'], name: 'm', password: 'from-env' });
  });

  it('PORTCULLIS_REDIS_PASSWORD_FILE is a secret file', async () => {
    const secret = path.join(dir, 'redis-password');
    writeFileSync(secret, 'from-a-file\n');
    const config = await load({ PORTCULLIS_REDIS_URL: 'redis://cache:6379', PORTCULLIS_REDIS_PASSWORD_FILE: secret });
    expect(config.store).toEqual({ type: 'redis', url: 'redis://cache:6379', password: 'from-a-file' });
    expect(config.sources['session.store.password']).toBe('PORTCULLIS_REDIS_PASSWORD_FILE');
  });

  it('exactly one of url, cluster, sentinels: two or none is an error naming the options and variables', async () => {
    const both = await errorOf(load({ PORTCULLIS_REDIS_URL: 'redis://a:6379', PORTCULLIS_REDIS_CLUSTER: 'redis://b:7000' }));
    expect(both.option).toBe('session.store');
    expect(both.message).toBe(
      'option "session.store" is a redis store: set exactly one of "url" (PORTCULLIS_REDIS_URL or PORTCULLIS_REDIS_URL_FILE), "cluster" (PORTCULLIS_REDIS_CLUSTER or PORTCULLIS_REDIS_CLUSTER_FILE), "sentinels" (PORTCULLIS_REDIS_SENTINELS); it sets "url" (PORTCULLIS_REDIS_URL or PORTCULLIS_REDIS_URL_FILE) (from PORTCULLIS_REDIS_URL) and "cluster" (PORTCULLIS_REDIS_CLUSTER or PORTCULLIS_REDIS_CLUSTER_FILE) (from PORTCULLIS_REDIS_CLUSTER)',
    );
    const none = await errorOf(load({ PORTCULLIS_SESSION_STORE: 'redis' }));
    expect(none.message).toContain('set exactly one of "url" (PORTCULLIS_REDIS_URL');
    expect(none.message).toContain('it sets none of them');
  });

  it('sentinels need a name; name and sentinelPassword need sentinels', async () => {
    expect((await errorOf(load({ PORTCULLIS_REDIS_SENTINELS: 's1:26379' }))).message).toContain('option "session.store.name" is required with "sentinels"');
    expect((await errorOf(load({ PORTCULLIS_REDIS_SENTINELS: 's1', PORTCULLIS_REDIS_SENTINEL_NAME: 'm' }))).message).toContain('option "session.store.sentinels" must be a list of "host:port"');
    expect((await errorOf(load({ PORTCULLIS_REDIS_URL: 'redis://a:6379', PORTCULLIS_REDIS_SENTINEL_NAME: 'm' }))).message).toContain('option "session.store.name" applies only with "sentinels"');
  });

  it('never shows a URL or a password in a message', async () => {
    const secretUrl = 'http://user:hunter2@cache:6379/0?password=swordfish';
    const bad = await errorOf(load({ PORTCULLIS_REDIS_URL: secretUrl }));
    expect(bad.message).toBe('option "session.store.url" must be a redis:// or rediss:// URL (from PORTCULLIS_REDIS_URL)');
    const twice = await errorOf(load({ PORTCULLIS_REDIS_URL: 'redis://:hunter2@cache:6379', PORTCULLIS_REDIS_PASSWORD: 'swordfish' }));
    expect(twice.message).toContain('a Redis URL carries a password too');
    for (const err of [bad, twice]) expect(err.message).not.toMatch(/hunter2|swordfish/);
    const badCluster = await errorOf(load({ PORTCULLIS_REDIS_CLUSTER: 'http://:hunter2@a:7000' }));
    expect(badCluster.message).not.toContain('hunter2');
  });

  it('a misspelt store key gets a suggestion', async () => {
    expect((await errorOf(load({}, { session: { store: { type: 'redis', ulr: 'redis://a' } } }))).message).toContain('unknown option "session.store.ulr": did you mean "session.store.url"?');
    expect((await errorOf(load({}, { session: { store: { type: 'memory', url: 'redis://a' } } }))).message).toContain('option "session.store.url" applies to a redis store, not to "type": "memory"');
  });
});

describe('trustProxy: a hop count', () => {
  it.each([
    ['true', 1],
    ['yes', 1],
    ['1', 1],
    ['2', 2],
    ['false', 0],
    ['0', 0],
  ])('PORTCULLIS_TRUST_PROXY=%s -> %d', async (text, hops) => {
    expect((await load({ PORTCULLIS_TRUST_PROXY: text })).trustProxy).toBe(hops);
  });

  it('true, false or a number in the file; a flag overrides', async () => {
    expect((await load({}, { trustProxy: true })).trustProxy).toBe(1);
    expect((await load({}, { trustProxy: 3 })).trustProxy).toBe(3);
    expect((await load({}, { trustProxy: false })).trustProxy).toBe(0);
    const flagged = await loadConfig({ env: { PORTCULLIS_TRUST_PROXY: '1' }, cwd: dir, flags: { trustProxy: '2' } });
    expect(flagged.trustProxy).toBe(2);
    expect(flagged.sources['trustProxy']).toBe('--trust-proxy');
    expect((await loadConfig({ env: {}, cwd: dir, flags: { trustProxy: true } })).trustProxy).toBe(1);
  });

  it('an https baseUrl needs at least one', async () => {
    expect((await errorOf(load({ PORTCULLIS_BASE_URL: 'https://app.example.com', PORTCULLIS_TRUST_PROXY: '0' }))).option).toBe('trustProxy');
    expect((await load({ PORTCULLIS_BASE_URL: 'https://app.example.com', PORTCULLIS_TRUST_PROXY: '2' })).trustProxy).toBe(2);
  });

  it('readyRequiresProvider from PORTCULLIS_READY_REQUIRES_PROVIDER', async () => {
    expect((await load({})).readyRequiresProvider).toBe(false);
    expect((await load({ PORTCULLIS_READY_REQUIRES_PROVIDER: 'true' })).readyRequiresProvider).toBe(true);
  });
});

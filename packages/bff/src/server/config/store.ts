/**
 * `session.store`: memory (one instance), Redis (one URL, a Cluster, or
 * Sentinels), or a store instance from a JS/TS config file. Every message
 * names the option and the variable that sets it, and never shows a value:
 * URLs and passwords are secrets.
 */
import type { SessionStore } from '../../session/store.ts';
import { variablesFor } from './env.ts';
import { rejectUnknownKeys } from './keys.ts';
import { ConfigError, isObject, sourceNote, type Json, type RedisStoreConfig, type StoreConfig } from './types.ts';

const MEMORY_KEYS = ['type', 'maxEntries'] as const;
const REDIS_KEYS = ['type', 'url', 'cluster', 'sentinels', 'name', 'password', 'sentinelPassword', 'tls'] as const;
/** The ways to reach Redis: exactly one is set. */
const REDIS_TARGETS = ['url', 'cluster', 'sentinels'] as const;

const REDIS_URL = /^rediss?:\/\/[^/?#]/;
const HOST_PORT = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** `"url" (PORTCULLIS_REDIS_URL)`. */
const named = (key: string): string => `"${key}" (${variablesFor(`session.store.${key}`) ?? 'config file only'})`;

/** Validates the raw `session.store` value. */
export function parseStore(raw: unknown, sources: Record<string, string>): StoreConfig {
  if (isObject(raw) && ['get', 'set', 'destroy'].every((m) => typeof raw[m] === 'function')) return { type: 'custom', store: raw as unknown as SessionStore };
  const fail = (key: string, what: string): never => {
    const option = key ? `session.store.${key}` : 'session.store';
    throw new ConfigError(option, `option "${option}" ${what}${sourceNote(sources, option)}`);
  };
  if (!isObject(raw)) return fail('', 'must be { "type": "memory" } or { "type": "redis", … } (see DEPLOY.md, "Session store")');
  if (raw['type'] === 'memory') return parseMemory(raw, sources, fail);
  if (raw['type'] === 'redis') return parseRedis(raw, sources, fail);
  return fail('type', `must be "memory" or "redis" (${variablesFor('session.store.type')})`);
}

type Fail = (key: string, what: string) => never;

function parseMemory(raw: Json, sources: Record<string, string>, fail: Fail): StoreConfig {
  const redisOnly = Object.fromEntries(REDIS_KEYS.filter((k) => k !== 'type').map((k) => [k, 'applies to a redis store, not to "type": "memory"']));
  rejectUnknownKeys(raw, MEMORY_KEYS, 'session.store', sources, redisOnly);
  const maxEntries = raw['maxEntries'];
  if (maxEntries === undefined) return { type: 'memory' };
  if (typeof maxEntries !== 'number' || !Number.isInteger(maxEntries) || maxEntries < 1) fail('maxEntries', 'must be a whole number of at least 1');
  return { type: 'memory', maxEntries: maxEntries as number };
}

function parseRedis(raw: Json, sources: Record<string, string>, fail: Fail): RedisStoreConfig {
  rejectUnknownKeys(raw, REDIS_KEYS, 'session.store', sources, { maxEntries: `applies to the memory store, not to "type": "redis" (${variablesFor('session.store.maxEntries')})` });
  const given = REDIS_TARGETS.filter((k) => raw[k] !== undefined);
  if (given.length !== 1) {
    const which = given.length ? `sets ${given.map((k) => `${named(k)}${sourceNote(sources, `session.store.${k}`)}`).join(' and ')}` : 'sets none of them';
    throw new ConfigError('session.store', `option "session.store" is a redis store: set exactly one of ${REDIS_TARGETS.map(named).join(', ')}; it ${which}`);
  }
  const out: RedisStoreConfig = { type: 'redis' };
  const url = raw['url'];
  if (url !== undefined) {
    if (typeof url !== 'string' || !REDIS_URL.test(url)) fail('url', 'must be a redis:// or rediss:// URL');
    out.url = url as string;
  }
  const cluster = raw['cluster'];
  if (cluster !== undefined) {
    if (!Array.isArray(cluster) || !cluster.length || !cluster.every((u) => typeof u === 'string' && REDIS_URL.test(u))) {
      fail('cluster', 'must be a list of redis:// or rediss:// URLs of cluster nodes (PORTCULLIS_REDIS_CLUSTER: comma-separated)');
    }
    out.cluster = cluster as string[];
  }
  const sentinels = raw['sentinels'];
  if (sentinels !== undefined) {
    const valid = (s: unknown) => typeof s === 'string' && HOST_PORT.test(s) && Number(HOST_PORT.exec(s)![1]) <= 65_535;
    if (!Array.isArray(sentinels) || !sentinels.length || !sentinels.every(valid))
      fail('sentinels', 'must be a list of "host:port" (PORTCULLIS_REDIS_SENTINELS: comma-separated), e.g. ["sentinel-1:26379", "sentinel-2:26379"]');
    out.sentinels = sentinels as string[];
    if (typeof raw['name'] !== 'string' || !raw['name']) fail('name', `is required with "sentinels": the name of the primary they monitor, e.g. "mymaster" (${variablesFor('session.store.name')})`);
    out.name = raw['name'] as string;
  } else {
    for (const key of ['name', 'sentinelPassword'] as const) if (raw[key] !== undefined) fail(key, 'applies only with "sentinels"');
  }
  for (const key of ['password', 'sentinelPassword'] as const) {
    const value = raw[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !value) fail(key, `must be a non-empty string (${variablesFor(`session.store.${key}`)})`);
    out[key] = value as string;
  }
  if (out.password !== undefined && [out.url, ...(out.cluster ?? [])].some((u) => u !== undefined && hasPassword(u))) {
    fail('password', 'is set, and a Redis URL carries a password too: give it once');
  }
  if (raw['tls'] !== undefined) {
    if (typeof raw['tls'] !== 'boolean') fail('tls', 'must be true or false');
    out.tls = raw['tls'] as boolean;
  }
  return out;
}

function hasPassword(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.password !== '' || parsed.searchParams.has('password');
  } catch {
    return false;
  }
}

/**
 * The session store the server hands to `createBff`, and its readiness check.
 *
 * - memory: a bounded `MemorySessionStore` (one instance only).
 * - redis: `RedisSessionStore` (one URL, a Cluster, or Sentinels), loaded
 *   lazily so that ioredis is only touched when configured. Its readiness is
 *   a real write/read/delete round trip: a PING proves nothing (a sentinel
 *   or the wrong cluster node answers PONG too).
 * - custom: a store instance from a JS/TS config file (its `roundTrip()`,
 *   else its `ping()`, else nothing).
 *
 * Nothing here shows a secret: targets are `protocol//host:port/db`, and
 * error texts are scrubbed of passwords, user names and URLs.
 */
import type { BffLogger } from '../logger.ts';
import { MemorySessionStore } from '../session/memory-store.ts';
import type { SessionStore } from '../session/store.ts';
import type { RedisStoreConfig, StoreConfig } from './config.ts';
import type { ReadinessCheck } from './health.ts';

/** What `RedisSessionStore.inspect()` says about the Redis behind it. */
export interface StoreInspection {
  persistence: { aof: boolean; rdb: boolean };
  maxmemoryPolicy: string;
  mode: 'standalone' | 'cluster' | 'sentinel';
}

/** A store instance with the optional operations the server uses. */
type OperableStore = SessionStore & {
  close?(): Promise<void> | void;
  ping?(): Promise<unknown>;
  roundTrip?(): Promise<void>;
  inspect?(): Promise<StoreInspection>;
};

/** The `RedisSessionStore` constructor options the server passes (see session/redis-store.ts). */
type RedisStoreOptions = { url: string } | { cluster: string[] } | { sentinels: string[]; name: string; password?: string; sentinelPassword?: string; tls?: boolean };

/** A store ready for `createBff`, with its check and its cleanup. */
export interface ServerStore {
  /** The store to pass to `createBff`. */
  store: SessionStore;
  /** What `check` and `/readyz` report. */
  check: ReadinessCheck;
  /** A description without secrets (`memory`, `redis redis://host:6379/0`). */
  description: string;
  /** Persistence and eviction settings, when the store can tell (Redis). */
  inspect?: () => Promise<StoreInspection>;
  close(): Promise<void>;
}

/** `protocol//host:port/db` of a Redis URL: nothing from the user info or the query (ioredis reads `?password=` too). */
export function redisTarget(url: string): string {
  try {
    const parsed = new URL(url);
    const db = /^\/(\d+)/.exec(parsed.pathname)?.[1] ?? '0';
    return `${parsed.protocol}//${parsed.hostname}:${parsed.port || '6379'}/${db}`;
  } catch {
    return 'redis://(invalid URL)';
  }
}

/** Opens the configured store (nothing connects before it is used). */
export async function openStore(config: StoreConfig, options: { logger?: BffLogger } = {}): Promise<ServerStore> {
  if (config.type === 'memory') {
    // The logger hears about evicted sessions: users logged out by the bound, not by themselves.
    const store = new MemorySessionStore({
      ...(config.maxEntries !== undefined ? { maxEntries: config.maxEntries } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    const description = `memory (single instance, at most ${config.maxEntries ?? 10_000} sessions)`;
    return { store, check: { name: 'store', target: 'memory', run: async () => {} }, description, close: async () => store.close() };
  }
  if (config.type === 'custom') {
    const store = config.store as OperableStore;
    const probe = store.roundTrip?.bind(store) ?? store.ping?.bind(store);
    return {
      store,
      check: { name: 'store', target: 'custom', run: async (signal) => void (probe ? await abortable(probe(), signal) : undefined) },
      description: 'custom store',
      close: async () => {},
    };
  }
  return openRedis(config);
}

async function openRedis(config: RedisStoreConfig): Promise<ServerStore> {
  const { RedisSessionStore } = (await import('../session/redis-store.ts')) as unknown as { RedisSessionStore: new (options: RedisStoreOptions) => OperableStore };
  const target = redisDescription(config);
  const scrub = scrubber(secretsOf(config));
  const store = new RedisSessionStore(redisOptions(config));
  const probe = store.roundTrip ? () => store.roundTrip!() : store.ping ? () => store.ping!() : undefined;
  return {
    store,
    description: `redis ${target}`,
    check: {
      name: 'store',
      target,
      async run(signal) {
        if (!probe) return; // nothing to ask
        try {
          await abortable(probe(), signal);
        } catch (err) {
          const text = scrub(reason(err));
          throw new Error(text.includes(target) ? text : `redis ${target}: ${text}`);
        }
      },
    },
    ...(store.inspect ? { inspect: () => store.inspect!() } : {}),
    async close() {
      await store.close?.();
    },
  };
}

/** The constructor options: the password merged into URLs, `tls` as `rediss://`. */
function redisOptions(config: RedisStoreConfig): RedisStoreOptions {
  if (config.sentinels) {
    return {
      sentinels: config.sentinels,
      name: config.name!,
      ...(config.password ? { password: config.password } : {}),
      ...(config.sentinelPassword ? { sentinelPassword: config.sentinelPassword } : {}),
      ...(config.tls ? { tls: true } : {}),
    };
  }
  const adjust = (url: string): string => {
    const parsed = new URL(url);
    if (config.tls && parsed.protocol === 'redis:') parsed.protocol = 'rediss:';
    if (config.password) parsed.password = encodeURIComponent(config.password);
    return parsed.href;
  };
  return config.cluster ? { cluster: config.cluster.map(adjust) } : { url: adjust(config.url!) };
}

/** What `/readyz`, `check` and the logs show for a Redis store. */
function redisDescription(config: RedisStoreConfig): string {
  const tls = config.tls ? 'rediss' : 'redis';
  if (config.sentinels) return `sentinel ${config.name} via ${config.sentinels.map((s) => `${tls}://${s}`).join(', ')}`;
  if (config.cluster) return `cluster ${config.cluster.map((u) => redisTarget(u).replace(/\/\d+$/, '')).join(', ')}`;
  return redisTarget(config.url!);
}

/** Passwords of a Redis configuration, those inside URLs included (user info and `?password=`-like parameters). */
function secretsOf(config: RedisStoreConfig): string[] {
  const secrets = [config.password, config.sentinelPassword];
  for (const url of [config.url, ...(config.cluster ?? [])]) {
    try {
      const parsed = new URL(url ?? '');
      secrets.push(parsed.password, decodeURIComponent(parsed.password));
      for (const [key, value] of parsed.searchParams) if (/pass|auth|secret/i.test(key)) secrets.push(value);
    } catch {
      // no URL: no password in it
    }
  }
  return secrets.filter((s): s is string => typeof s === 'string' && s.length > 0).sort((a, b) => b.length - a.length);
}

/**
 * A function that rewrites every Redis URL in a text to `protocol//host:port/db`
 * (whatever the store's own message kept of user info or query), then replaces
 * every secret (and its URL-encoded form) by `***`.
 */
function scrubber(secrets: string[]): (text: string) => string {
  return (text) => {
    let out = text.replace(/\brediss?:\/\/[^\s),;]*[^\s),;:.]/g, (url) => redisTarget(url));
    for (const secret of secrets) for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join('***');
    return out;
  };
}

/** The error's message, with the innermost cause's when it adds something (the store wraps Redis errors). */
function reason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let inner: Error = err;
  while (inner.cause instanceof Error) inner = inner.cause;
  return inner === err || err.message.includes(inner.message) ? err.message : `${err.message}: ${inner.message}`;
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

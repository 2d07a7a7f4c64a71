/**
 * The session store the server hands to `createBff`, and its readiness check.
 *
 * - memory: `createBff`'s own bounded in-memory store (one instance only).
 * - redis: `RedisSessionStore` from this package, loaded lazily so that
 *   ioredis is only touched when configured; its reachability is its `ping()`.
 * - custom: a store instance from a JS/TS config file.
 */
import type { SessionStore } from '../session/store.ts';
import type { StoreConfig } from './config.ts';
import { ConfigError } from './config.ts';
import type { ReadinessCheck } from './health.ts';

/** A store ready for `createBff`, with its check and its cleanup. */
export interface ServerStore {
  /** The store to pass to `createBff`, or `undefined` for its default memory store. */
  store: SessionStore | undefined;
  /** What `check` and `/readyz` report. */
  check: ReadinessCheck;
  /** A description without secrets (`memory`, `redis redis://host:6379`). */
  description: string;
  close(): Promise<void>;
}

interface RedisStoreModule {
  RedisSessionStore?: new (options: { url: string }) => SessionStore & { close?(): Promise<void> | void; ping?(): Promise<unknown> };
}

/** A Redis URL without its password, for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return 'redis://(invalid URL)';
  }
}

/** Opens the configured store (nothing connects before it is used). */
export async function openStore(config: StoreConfig): Promise<ServerStore> {
  if (config.type === 'memory') {
    return { store: undefined, check: { name: 'store', target: 'memory', run: async () => {} }, description: 'memory (single instance)', close: async () => {} };
  }
  if (config.type === 'custom') {
    const store = config.store as SessionStore & { ping?(): Promise<unknown> };
    return {
      store,
      check: { name: 'store', target: 'custom', run: async () => void (await store.ping?.()) },
      description: 'custom store',
      close: async () => {},
    };
  }
  const target = redactRedisUrl(config.url);
  // Loaded lazily: the store lives in the package index once it exists.
  const module = (await import('../index.ts')) as unknown as RedisStoreModule;
  const RedisSessionStore = module.RedisSessionStore;
  if (typeof RedisSessionStore !== 'function') {
    throw new ConfigError('session.store', 'option "session.store" is { "type": "redis" }, but this version of @portcullis/bff has no RedisSessionStore: use { "type": "memory" } (one instance) or upgrade');
  }
  const store = new RedisSessionStore({ url: config.url });
  return {
    store,
    description: `redis ${target}`,
    check: {
      name: 'store',
      target,
      async run(signal) {
        if (typeof store.ping !== 'function') return; // nothing to ask
        try {
          await abortable(store.ping(), signal);
        } catch (err) {
          throw new Error(`redis ${target} unreachable: ${reason(err)}`);
        }
      },
    },
    async close() {
      await store.close?.();
    },
  };
}

/** The innermost message of an error chain (the store wraps Redis errors). */
function reason(err: unknown): string {
  let current = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
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

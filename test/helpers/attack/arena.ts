/**
 * The stack the attacks run against: the demo stack on an {@link AuditedStore}
 * with a signed-in "sentinel" tab, so that each attack can be wrapped in
 * `guard` (no session record touched, the process still serves a normal
 * signed-in request); and the same arena with a recording upstream behind
 * `/api/echo` for the proxy attacks.
 */
import { silentLogger, type ApiRoute, type MemorySessionStoreOptions } from '@portcullis/bff';
import { startDemoStack, type DemoStack, type DemoStackOptions } from '@portcullis/demo/stack';
import { expect } from 'vitest';
import { BffClient } from '../bff-client.ts';
import { AuditedStore } from './audited-store.ts';
import { startUpstream, type Upstream } from './upstream.ts';

/** What an attack must leave as it found it. */
export interface StoreSnapshot {
  size: number;
  sessions: Map<string, string>;
}

/** What an attack may legitimately leave behind. */
export interface GuardOptions {
  /** Login states (`state:*`) the attack may add: a /bff/login that was (rightly) served. Default 0. */
  newStates?: number;
}

/** A demo stack with an audited store and a signed-in sentinel tab. */
export interface Arena {
  stack: DemoStack;
  store: AuditedStore;
  /** A normal signed-in tab (bob): its `/bff/user` must answer 200 after every attack. */
  sentinel: BffClient;
  baseUrl: string;
  snapshot(): Promise<StoreSnapshot>;
  /**
   * Fails unless no session record was created, changed or removed since
   * `before`, and the store did not grow (refused logins may consume a state;
   * `newStates` login states may be added by a login that legitimately started).
   */
  expectUntouched(before: StoreSnapshot, options?: GuardOptions): Promise<void>;
  /** The process still serves a normal signed-in request. */
  expectHealthy(): Promise<void>;
  /** snapshot → attack → expectUntouched → expectHealthy. */
  guard<T>(attack: () => Promise<T>, options?: GuardOptions): Promise<T>;
  stop(): Promise<void>;
}

/** Starts the demo stack on an {@link AuditedStore} and signs the sentinel in. */
export async function startArena(options: DemoStackOptions = {}, storeOptions: MemorySessionStoreOptions = {}): Promise<Arena> {
  const store = new AuditedStore(storeOptions);
  const stack = await startDemoStack({ logger: silentLogger, ...options, store });
  const sentinel = new BffClient(stack.baseUrl);
  await sentinel.login('bob');
  const snapshot = async (): Promise<StoreSnapshot> => ({ size: store.size, sessions: await store.sessions() });
  const expectUntouched = async (before: StoreSnapshot, { newStates = 0 }: GuardOptions = {}) => {
    const after = await snapshot();
    expect(after.sessions, 'session records are unchanged').toEqual(before.sessions);
    expect(after.size, 'the store did not grow').toBeLessThanOrEqual(before.size + newStates);
  };
  const expectHealthy = async () => {
    const user = await sentinel.user();
    expect(user.status, 'a signed-in /bff/user still answers 200').toBe(200);
    expect(user.body['sub']).toBe('bob');
  };
  return {
    stack,
    store,
    sentinel,
    baseUrl: stack.baseUrl,
    snapshot,
    expectUntouched,
    expectHealthy,
    async guard(attack, options) {
      const before = await snapshot();
      const result = await attack();
      await expectUntouched(before, options);
      await expectHealthy();
      return result;
    },
    async stop() {
      await stack.stop();
      store.close();
    },
  };
}

/** An arena whose BFF proxies `/api/todos` to the todo API and `/api/echo` (plus `extra` routes) to a recording upstream. */
export interface EchoArena {
  arena: Arena;
  echo: Upstream;
  /** The signed-in sentinel's Cookie header. */
  cookie: string;
  /** Forgets what the todo API and the echo upstream recorded. */
  reset(): void;
  stop(): Promise<void>;
}

/** Starts an {@link EchoArena}; `extra` adds routes to the recording upstream (`path`, upstream path, options). */
export async function startEchoArena(extra: (echoUrl: string) => ApiRoute[] = () => []): Promise<EchoArena> {
  const echo = await startUpstream();
  const arena = await startArena({
    bff: ({ api }) => ({
      apis: [{ path: '/api/todos', target: `${api.url}/todos`, token: 'user' }, { path: '/api/echo', target: `${echo.url}/echo`, token: 'user' }, ...extra(echo.url)],
    }),
  });
  return {
    arena,
    echo,
    cookie: arena.sentinel.jar.cookieHeader(arena.baseUrl)!,
    reset() {
      arena.stack.api.requests.length = 0;
      echo.reset();
    },
    async stop() {
      await arena.stop();
      await echo.close();
    },
  };
}

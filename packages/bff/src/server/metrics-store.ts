/**
 * A session store that reports how long each operation takes and whether it
 * failed, around the store `portcullis serve` hands to `createBff`.
 *
 * The wrapper has exactly the methods of the store it wraps: the optional
 * ones of the contract (`take`, `findIds`, `acquireLock`, `add`, `setIf`, `getNow`)
 * only when the inner store has them, since the BFF picks its code paths by
 * their presence (an atomic `take` or a get-then-destroy fallback…). Other
 * methods of the inner store are forwarded as they are, untimed, so that a
 * method this file does not know yet is never lost.
 */
import type { LockHandle, SessionStore } from '../session/store.ts';

/** The store operations measured. */
export const STORE_OPERATIONS = ['get', 'set', 'destroy', 'take', 'findIds', 'acquireLock', 'add', 'setIf', 'lockExtend', 'lockRelease'] as const;
/** One of {@link STORE_OPERATIONS}. */
export type StoreOperation = (typeof STORE_OPERATIONS)[number];

/** Told of every operation: its name, its duration in seconds, and whether it threw. */
export type StoreObserver = (operation: StoreOperation, seconds: number, failed: boolean) => void;

/** Wraps `inner` so that `observe` hears of each operation. */
export function instrumentStore(inner: SessionStore, observe: StoreObserver): SessionStore {
  const report = (operation: StoreOperation, started: number, failed: boolean): void => {
    try {
      observe(operation, (performance.now() - started) / 1000, failed);
    } catch {
      // metrics never fail a store operation
    }
  };
  const timed = async <T>(operation: StoreOperation, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    let failed = true;
    try {
      const value = await run();
      failed = false;
      return value;
    } finally {
      report(operation, started, failed);
    }
  };
  // The synchronous read (the memory store's getNow) is a `get` too.
  const timedNow = <T>(operation: StoreOperation, run: () => T): T => {
    const started = performance.now();
    let failed = true;
    try {
      const value = run();
      failed = false;
      return value;
    } finally {
      report(operation, started, failed);
    }
  };
  const wrapHandle = (handle: LockHandle): LockHandle => ({
    extend: (leaseMs) => timed('lockExtend', () => handle.extend(leaseMs)),
    release: () => timed('lockRelease', () => handle.release()),
  });

  const store: SessionStore = {
    get: (id) => timed('get', () => inner.get(id)),
    set: (id, record, ttlMs, index) => timed('set', () => inner.set(id, record, ttlMs, index)),
    destroy: (id) => timed('destroy', () => inner.destroy(id)),
  };
  const { take, findIds, acquireLock, add, setIf, getNow } = inner;
  if (getNow) store.getNow = (id) => timedNow('get', () => getNow.call(inner, id));
  if (take) store.take = (id) => timed('take', () => take.call(inner, id));
  if (findIds) store.findIds = (query) => timed('findIds', () => findIds.call(inner, query));
  if (acquireLock) {
    store.acquireLock = async (name, leaseMs) => {
      const handle = await timed('acquireLock', () => acquireLock.call(inner, name, leaseMs));
      return handle && wrapHandle(handle);
    };
  }
  if (add) store.add = (id, record, ttlMs) => timed('add', () => add.call(inner, id, record, ttlMs));
  if (setIf) store.setIf = (id, record, ttlMs, index, expected) => timed('setIf', () => setIf.call(inner, id, record, ttlMs, index, expected));

  // Anything else the store offers (`close`, `ping`, a method added later): forwarded untimed.
  const forwarded = store as unknown as Record<string, unknown>;
  for (const name of methodNames(inner)) {
    if (name in forwarded) continue;
    const method = (inner as unknown as Record<string, unknown>)[name];
    if (typeof method === 'function') forwarded[name] = (method as (...args: unknown[]) => unknown).bind(inner);
  }
  return store;
}

/** Method names of an object and its prototypes (not Object's). */
function methodNames(object: object): Set<string> {
  const names = new Set<string>();
  for (let current: object | null = object; current && current !== Object.prototype; current = Object.getPrototypeOf(current) as object | null) {
    for (const name of Object.getOwnPropertyNames(current)) if (name !== 'constructor') names.add(name);
  }
  return names;
}

/**
 * Cross-instance serialisation of refreshes: with a store that has locks,
 * one instance at a time refreshes a session. The holder's lease is renewed
 * while its refresh runs (a slow provider must not let the lease lapse and a
 * second refresh start: oauth2-proxy #3456); a crashed holder blocks others
 * for one lease at most. Waiters re-read the session and use the tokens the
 * holder stored.
 */
import { TemporarilyUnavailable } from '../errors.ts';
import type { LockHandle, SessionStore } from '../session/store.ts';

/** Lease of a refresh lock. */
export const REFRESH_LEASE_MS = 10_000;
/** How long a waiter waits for the holder before giving up with 503. */
const WAIT_LIMIT_MS = 20_000;

/**
 * Runs `work` under the lock `name`. While another holder has it, calls
 * `settled()` every poll: when it returns a value (the holder's result is in
 * the store), that value is returned without running `work`.
 */
export async function withRefreshLock<T>(store: SessionStore, name: string, settled: () => Promise<T | undefined>, work: () => Promise<T>, leaseMs = REFRESH_LEASE_MS): Promise<T> {
  if (!store.acquireLock) return work();
  const giveUpAt = Date.now() + WAIT_LIMIT_MS;
  let delay = 25;
  for (;;) {
    const lock = await store.acquireLock(name, leaseMs);
    if (lock) return holdWhile(lock, work, leaseMs);
    const result = await settled();
    if (result !== undefined) return result;
    if (Date.now() > giveUpAt) throw new TemporarilyUnavailable('Another instance is still refreshing this session: try again shortly.');
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 250);
  }
}

async function holdWhile<T>(lock: LockHandle, work: () => Promise<T>, leaseMs: number): Promise<T> {
  const renew = setInterval(() => void lock.extend(leaseMs).catch(() => {}), leaseMs / 3);
  try {
    return await work();
  } finally {
    clearInterval(renew);
    await lock.release().catch(() => {});
  }
}

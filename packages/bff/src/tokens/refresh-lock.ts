/**
 * Cross-instance serialisation of refreshes: with a store that has locks,
 * one instance at a time refreshes a session. The holder's lease is renewed
 * while its refresh runs (a slow provider must not let the lease lapse and a
 * second refresh start: oauth2-proxy #3456); a crashed holder blocks others
 * for one lease at most. Waiters re-read the session and use the tokens the
 * holder stored.
 *
 * A lease can still lapse (a process paused longer than the lease, a failed
 * renewal): the holder then learns it at {@link HeldLock.confirm}, which it
 * calls right before the grant, and goes back to waiting instead of starting
 * a second grant with a refresh token that the new holder is using.
 */
import { TemporarilyUnavailable } from '../errors.ts';
import type { LockHandle, SessionStore } from '../session/store.ts';

/** Lease of a refresh lock. */
export const REFRESH_LEASE_MS = 10_000;
/** How long a waiter waits for the holder before giving up with 503. */
const WAIT_LIMIT_MS = 20_000;

/** The lock as its holder's work sees it. */
export interface HeldLock {
  /** Extends the lease now; throws {@link LockLost} when the lock is no longer this holder's. */
  confirm(): Promise<void>;
}

/** The holder's lease lapsed and the lock may be someone else's. */
export class LockLost extends Error {
  constructor() {
    super('the refresh lock was lost (its lease lapsed)');
    this.name = 'LockLost';
  }
}

const UNLOCKED: HeldLock = { confirm: async () => {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `work` under the lock `name`. While another holder has it, calls
 * `settled()` every poll: when it returns a value (the holder's result is in
 * the store), that value is returned without running `work`.
 */
export async function withRefreshLock<T>(store: SessionStore, name: string, settled: () => Promise<T | undefined>, work: (lock: HeldLock) => Promise<T>, leaseMs = REFRESH_LEASE_MS): Promise<T> {
  if (!store.acquireLock) return work(UNLOCKED);
  const giveUpAt = Date.now() + WAIT_LIMIT_MS;
  let delay = 25;
  for (;;) {
    const lock = await store.acquireLock(name, leaseMs);
    if (lock) {
      try {
        return await holdWhile(lock, work, leaseMs);
      } catch (err) {
        if (!(err instanceof LockLost)) throw err;
      }
    }
    // Someone else holds (or took over) the lock: their result, once stored, is ours.
    const result = await settled();
    if (result !== undefined) return result;
    if (Date.now() > giveUpAt) throw new TemporarilyUnavailable('Another instance is still refreshing this session: try again shortly.');
    await sleep(delay);
    delay = Math.min(delay * 2, 250);
  }
}

async function holdWhile<T>(lock: LockHandle, work: (lock: HeldLock) => Promise<T>, leaseMs: number): Promise<T> {
  let lost = false;
  const extend = async (): Promise<void> => {
    if (lost || !(await lock.extend(leaseMs))) {
      lost = true;
      throw new LockLost();
    }
  };
  // A renewal that fails for a moment (store unreachable) is tried again at the next tick; one that
  // finds the lock gone or taken marks it lost.
  const renew = setInterval(() => void extend().catch(() => {}), leaseMs / 3);
  try {
    return await work({ confirm: extend });
  } finally {
    clearInterval(renew);
    if (!lost) await lock.release().catch(() => {});
  }
}

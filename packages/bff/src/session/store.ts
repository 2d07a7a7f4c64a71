/**
 * The session store contract: three methods, as in koajs/session, plus two
 * optional ones that some features need.
 *
 * Records are plain JSON objects. The BFF encrypts the tokens inside a record
 * before it reaches any store, so a store never sees a token in clear.
 */

/** A JSON-serialisable session record. */
export type SessionRecord = Record<string, unknown>;

/** What a session is indexed by, so that back-channel logout can find it. */
export interface SessionIndex {
  /** The user's subject identifier at the provider. */
  sub?: string;
  /** The provider's session id (`sid` claim of the ID token). */
  sid?: string;
}

/** A held lock (see {@link SessionStore.acquireLock}). */
export interface LockHandle {
  /** Extends the lease to `leaseMs` from now; false when the lock was lost (lease expired and taken). */
  extend(leaseMs: number): Promise<boolean>;
  /** Releases the lock if still held. */
  release(): Promise<void>;
}

/** Where sessions (and short-lived login states) live. */
export interface SessionStore {
  /** The record stored under `id`, or `undefined` when absent or expired. */
  get(id: string): Promise<SessionRecord | undefined>;
  /**
   * Stores `record` under `id` for `ttlMs` milliseconds, replacing any previous one,
   * and indexes it under `index` (replacing its previous index entries).
   */
  set(id: string, record: SessionRecord, ttlMs: number, index?: SessionIndex): Promise<void>;
  /** Removes the record under `id` and its index entries. Removing an absent id is not an error. */
  destroy(id: string): Promise<void>;
  /**
   * Atomically reads and removes the record under `id` (single-use login states).
   * Without it the BFF falls back to `get` + `destroy`, which lets two concurrent
   * callbacks read the same state: implement it in shared stores.
   */
  take?(id: string): Promise<SessionRecord | undefined>;
  /** The ids of live sessions indexed under `sid`, or under `sub` (back-channel logout). */
  findIds?(query: SessionIndex): Promise<string[]>;
  /**
   * Takes the lock `name` for `leaseMs` unless someone holds it (then `undefined`).
   * Shared stores implement it so that BFF instances refresh a session's tokens one at a
   * time; without it, refreshes are serialised within one process only.
   */
  acquireLock?(name: string, leaseMs: number): Promise<LockHandle | undefined>;
  /**
   * Stores `record` under `id` only when nothing is stored there, atomically; `true` when it
   * was stored. Replay markers (a back-channel logout token's `jti`) need it: with `get` then
   * `set`, two concurrent deliveries would both pass. Without it the BFF falls back to that.
   */
  add?(id: string, record: SessionRecord, ttlMs: number): Promise<boolean>;
  /**
   * Compare-and-set: stores `record` as {@link SessionStore.set} does (index included) only when
   * the record stored under `id` has the version `expected` (its string property `v`), or when
   * nothing is stored and `expected` is `null`; `false` (nothing changed) otherwise, atomically.
   * The BFF writes every session this way, so that a write never brings back an ended session
   * nor overwrites tokens that another request or instance has just rotated. Without it the BFF
   * falls back to `get` then `set`, which is safe within one process only.
   */
  setIf?(id: string, record: SessionRecord, ttlMs: number, index: SessionIndex | undefined, expected: string | null): Promise<boolean>;
  /**
   * {@link SessionStore.get} without a promise, for a store in process memory: proxied calls
   * then read their session without awaiting anything. A store that needs I/O leaves it out.
   */
  getNow?(id: string): SessionRecord | undefined;
}

/** The version of a record (its `v` property), as {@link SessionStore.setIf} compares it. */
export function versionOf(record: SessionRecord | undefined): string | null | undefined {
  if (record === undefined) return null;
  return typeof record['v'] === 'string' ? record['v'] : undefined;
}

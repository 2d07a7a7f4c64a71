/**
 * The default session store: in process memory, bounded, with expiry.
 * Fits one BFF process; several processes need a shared store (Redis).
 *
 * Two budgets, so that a full store never locks people out:
 * - sessions (records with a sub/sid index): at most `maxEntries`; when full,
 *   the least recently used session goes (logged, counted in `evictions`).
 * - records without an index (login states, replay markers, ended-session
 *   markers; all short-lived): at most `maxUnindexed`; when full, the least
 *   recently used of them goes. They are never evicted to make room for
 *   sessions, nor sessions for them, and a write never evicts its own record.
 */
import type { BffLogger } from '../logger.ts';
import type { SessionIndex, SessionRecord, SessionStore } from './store.ts';
import { versionOf } from './store.ts';
import { copyOf, deepFreeze } from './json-copy.ts';

/** Options of {@link MemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** Most sessions (records with an index) kept; when full the least recently used one goes. Default 10 000. */
  maxEntries?: number;
  /**
   * Most records without an index (login states, replay markers, ended-session markers) kept;
   * when full the least recently used one goes. Default: `maxEntries`. Bounds a login flood.
   */
  maxUnindexed?: number;
  /** How often expired records are swept, in milliseconds. Default 60 000. */
  sweepInterval?: number;
  /** Where evictions are reported (`warn`, at most one line a minute). Default: nowhere. */
  logger?: Pick<BffLogger, 'warn'>;
}

interface Entry {
  /** The record as JSON would carry it (through a stringify/parse round trip), deep-frozen; reads hand out copies. */
  record: SessionRecord;
  expiresAt: number;
  index: SessionIndex | undefined;
  /** The record's version (`v`), kept so that setIf needs no parse. */
  version: string | undefined;
}

/** At most one eviction line per this many ms. */
const LOG_INTERVAL_MS = 60_000;

/** Counts evictions of one kind and logs them, rate-limited. */
class EvictionLog {
  total = 0;
  #pending = 0;
  #lastLine = -Infinity;
  constructor(
    readonly message: string,
    readonly limit: number,
    readonly logger: Pick<BffLogger, 'warn'> | undefined,
  ) {}

  count(): void {
    this.total++;
    this.#pending++;
    this.flush();
  }

  /** Writes the pending count when a line is due. */
  flush(): void {
    const now = Date.now();
    if (this.#pending === 0 || !this.logger || now - this.#lastLine < LOG_INTERVAL_MS) return;
    this.logger.warn({ evicted: this.#pending, evictedTotal: this.total, limit: this.limit }, this.message);
    this.#pending = 0;
    this.#lastLine = now;
  }
}

/** A bounded in-memory {@link SessionStore} with TTLs and a sid/sub index. */
export class MemorySessionStore implements SessionStore {
  /** Sessions (indexed records), least recently used first (Map order). */
  readonly #sessions = new Map<string, Entry>();
  /** Records without an index, least recently used first. */
  readonly #unindexed = new Map<string, Entry>();
  readonly #bySub = new Map<string, Set<string>>();
  readonly #bySid = new Map<string, Set<string>>();
  readonly #maxSessions: number;
  readonly #maxUnindexed: number;
  readonly #sessionLog: EvictionLog;
  readonly #unindexedLog: EvictionLog;
  readonly #timer: NodeJS.Timeout;

  constructor(options: MemorySessionStoreOptions = {}) {
    // At least one: a write must never evict the record it writes.
    this.#maxSessions = Math.max(1, options.maxEntries ?? 10_000);
    this.#maxUnindexed = Math.max(1, options.maxUnindexed ?? this.#maxSessions);
    this.#sessionLog = new EvictionLog(
      'memory session store full: least recently used sessions evicted (those users must log in again); raise maxEntries or use a shared store',
      this.#maxSessions,
      options.logger,
    );
    this.#unindexedLog = new EvictionLog(
      'memory session store: too many login states and markers, the least recently used evicted (a login whose state went fails with invalid_state); raise maxUnindexed',
      this.#maxUnindexed,
      options.logger,
    );
    this.#timer = setInterval(() => this.sweep(), options.sweepInterval ?? 60_000);
    this.#timer.unref();
  }

  /** Number of live records, sessions and others (expired ones may linger until the next sweep). */
  get size(): number {
    return this.#sessions.size + this.#unindexed.size;
  }

  /** Sessions evicted because the store was full (since it was created). */
  get evictions(): number {
    return this.#sessionLog.total;
  }

  /** Records without an index (login states, markers) evicted because their budget was full. */
  get unindexedEvictions(): number {
    return this.#unindexedLog.total;
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    return this.getNow(id);
  }

  /** {@link get} without a promise: the proxy's hot path reads sessions synchronously from this store. */
  getNow(id: string): SessionRecord | undefined {
    const entry = this.#live(id);
    if (!entry) return undefined;
    // Re-insert to keep Map order = least recently used first.
    const map = entry.index ? this.#sessions : this.#unindexed;
    map.delete(id);
    map.set(id, entry);
    // A copy: callers never share mutable state with the store. Copying the parsed record is ~4x
    // cheaper than parsing its ~3 kB of JSON on every proxied call (bench/).
    return copyOf(entry.record);
  }

  async set(id: string, record: SessionRecord, ttlMs: number, index?: SessionIndex): Promise<void> {
    this.#write(id, record, ttlMs, index);
  }

  async add(id: string, record: SessionRecord, ttlMs: number): Promise<boolean> {
    // Synchronous from check to write: nothing else runs in between.
    if (this.#live(id)) return false;
    this.#write(id, record, ttlMs, undefined);
    return true;
  }

  async setIf(id: string, record: SessionRecord, ttlMs: number, index: SessionIndex | undefined, expected: string | null): Promise<boolean> {
    const current = this.#live(id);
    if (expected === null ? current !== undefined : current?.version !== expected) return false;
    this.#write(id, record, ttlMs, index);
    return true;
  }

  async destroy(id: string): Promise<void> {
    this.#remove(id);
  }

  async take(id: string): Promise<SessionRecord | undefined> {
    // Read and remove without yielding in between: concurrent takers must not both get the record.
    const entry = this.#live(id);
    if (!entry) return undefined;
    this.#remove(id);
    return copyOf(entry.record);
  }

  async findIds(query: SessionIndex): Promise<string[]> {
    const ids = query.sid ? this.#bySid.get(query.sid) : query.sub ? this.#bySub.get(query.sub) : undefined;
    const now = Date.now();
    return [...(ids ?? [])].filter((id) => {
      const entry = this.#sessions.get(id);
      return entry !== undefined && entry.expiresAt > now && (!query.sub || entry.index?.sub === query.sub);
    });
  }

  /** Nothing to check in process memory (the readiness contract of shared stores). */
  async roundTrip(): Promise<void> {}

  /** Removes expired records now (also runs on a timer), and writes eviction counts that are due. */
  sweep(): void {
    const now = Date.now();
    for (const map of [this.#sessions, this.#unindexed]) for (const [id, entry] of map) if (entry.expiresAt <= now) this.#remove(id);
    this.#sessionLog.flush();
    this.#unindexedLog.flush();
  }

  /** Stops the sweep timer. */
  close(): void {
    clearInterval(this.#timer);
  }

  /** The unexpired entry under `id` (an expired one is removed on the way). */
  #live(id: string): Entry | undefined {
    const entry = this.#sessions.get(id) ?? this.#unindexed.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt > Date.now()) return entry;
    this.#remove(id);
    return undefined;
  }

  #write(id: string, record: SessionRecord, ttlMs: number, index: SessionIndex | undefined): void {
    this.#remove(id);
    const indexed = index?.sub || index?.sid ? index : undefined;
    // Through JSON once, at the write: the caller's object is never kept, and what a read returns is
    // what a shared store would return (no undefined, Dates as strings, ...).
    const entry: Entry = { record: deepFreeze(JSON.parse(JSON.stringify(record)) as SessionRecord), expiresAt: Date.now() + ttlMs, index: indexed, version: versionOf(record) ?? undefined };
    if (indexed?.sub) addTo(this.#bySub, indexed.sub, id);
    if (indexed?.sid) addTo(this.#bySid, indexed.sid, id);
    const map = indexed ? this.#sessions : this.#unindexed;
    map.set(id, entry);
    // The record just written is the newest of its map and the bound is at least 1: it never goes here.
    const max = indexed ? this.#maxSessions : this.#maxUnindexed;
    const log = indexed ? this.#sessionLog : this.#unindexedLog;
    while (map.size > max) {
      this.#remove(map.keys().next().value as string);
      log.count();
    }
  }

  #remove(id: string): void {
    const entry = this.#sessions.get(id) ?? this.#unindexed.get(id);
    if (!entry) return;
    this.#sessions.delete(id);
    this.#unindexed.delete(id);
    if (entry.index?.sub) removeFrom(this.#bySub, entry.index.sub, id);
    if (entry.index?.sid) removeFrom(this.#bySid, entry.index.sid, id);
  }
}

function addTo(map: Map<string, Set<string>>, key: string, id: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(id);
}

function removeFrom(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(id);
  if (set.size === 0) map.delete(key);
}

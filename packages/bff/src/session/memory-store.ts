/**
 * The default session store: in process memory, bounded, with expiry.
 * Fits one BFF process; several processes need a shared store (Redis).
 */
import type { SessionIndex, SessionRecord, SessionStore } from './store.ts';

/** Options of {@link MemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** Most records kept; the least recently used goes first, records without an index (login states) before sessions. Default 10 000. */
  maxEntries?: number;
  /** How often expired records are swept, in milliseconds. Default 60 000. */
  sweepInterval?: number;
}

interface Entry {
  json: string;
  expiresAt: number;
  index: SessionIndex | undefined;
}

/** A bounded in-memory {@link SessionStore} with TTLs and a sid/sub index. */
export class MemorySessionStore implements SessionStore {
  readonly #entries = new Map<string, Entry>();
  readonly #bySub = new Map<string, Set<string>>();
  readonly #bySid = new Map<string, Set<string>>();
  /** Ids of records without an index (login states, replay markers), least recently used first. */
  readonly #unindexed = new Set<string>();
  readonly #maxEntries: number;
  readonly #timer: NodeJS.Timeout;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#timer = setInterval(() => this.sweep(), options.sweepInterval ?? 60_000);
    this.#timer.unref();
  }

  /** Number of live records (expired ones may linger until the next sweep). */
  get size(): number {
    return this.#entries.size;
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#remove(id);
      return undefined;
    }
    // Re-insert to keep Map order = least recently used first.
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    if (this.#unindexed.delete(id)) this.#unindexed.add(id);
    // Records are stored as JSON so callers never share mutable state with the store.
    return JSON.parse(entry.json) as SessionRecord;
  }

  async set(id: string, record: SessionRecord, ttlMs: number, index?: SessionIndex): Promise<void> {
    this.#remove(id);
    this.#entries.set(id, { json: JSON.stringify(record), expiresAt: Date.now() + ttlMs, index });
    if (index?.sub) addTo(this.#bySub, index.sub, id);
    if (index?.sid) addTo(this.#bySid, index.sid, id);
    if (!index?.sub && !index?.sid) this.#unindexed.add(id);
    // Full: evict records without an index first, so that a flood of anonymous login
    // starts cannot push signed-in users out.
    while (this.#entries.size > this.#maxEntries) {
      const oldest = (this.#unindexed.values().next().value ?? this.#entries.keys().next().value) as string;
      this.#remove(oldest);
    }
  }

  async destroy(id: string): Promise<void> {
    this.#remove(id);
  }

  async take(id: string): Promise<SessionRecord | undefined> {
    // Read and remove without yielding in between: concurrent takers must not both get the record.
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    this.#remove(id);
    return entry.expiresAt > Date.now() ? (JSON.parse(entry.json) as SessionRecord) : undefined;
  }

  async findIds(query: SessionIndex): Promise<string[]> {
    const ids = query.sid ? this.#bySid.get(query.sid) : query.sub ? this.#bySub.get(query.sub) : undefined;
    const now = Date.now();
    return [...(ids ?? [])].filter((id) => {
      const entry = this.#entries.get(id);
      return entry !== undefined && entry.expiresAt > now && (!query.sub || entry.index?.sub === query.sub);
    });
  }

  /** Removes expired records now (also runs on a timer). */
  sweep(): void {
    const now = Date.now();
    for (const [id, entry] of this.#entries) if (entry.expiresAt <= now) this.#remove(id);
  }

  /** Stops the sweep timer. */
  close(): void {
    clearInterval(this.#timer);
  }

  #remove(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
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

/**
 * A {@link SessionStore} in Redis (ioredis), for several BFF instances behind a
 * load balancer: one Redis (or a primary with replicas), Redis Sentinel, or
 * Redis Cluster.
 *
 * Key layout (`<prefix>` default `portcullis:`):
 * - `<prefix>sess:<id>` a record, `{ r: record, i?: { sub, sid, n } }`, with its TTL;
 * - `<prefix>sub:<sub>`, `<prefix>sid:<sid>` the back-channel index, sorted sets of
 *   `<id> <n>` scored by expiry; they may live on other cluster nodes than the
 *   records, so they are hints: {@link RedisSessionStore.findIds} keeps an id only
 *   when its record still carries that sub/sid. Index entries are written before
 *   the record (a crash leaves a stale hint, never a session that back-channel
 *   logout cannot find) and removed after it, each write removing only the entry
 *   of the value it replaced (the nonce `n`), so concurrent writers never remove
 *   each other's entries;
 * - `<prefix>lock:<name>` the refresh locks.
 * Every script touches one declared key (see redis-scripts.ts), as Cluster requires.
 *
 * Redis unreachable means 503 `temporarily_unavailable`: the store fails closed
 * (never "anonymous") and recovers by itself when Redis (or a new primary) is back.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { TemporarilyUnavailable } from '../errors.ts';
import { openClient, scrub, type RedisConnection, type RedisMode } from './redis-client.ts';
import { inspectRedis, roundTrip, type RedisStoreInfo } from './redis-health.ts';
import { INDEX_ADD, REMOVE, RELEASE, EXTEND, WRITE, runScript, type RedisClient } from './redis-scripts.ts';
import type { LockHandle, SessionIndex, SessionRecord, SessionStore } from './store.ts';
import { ParsedCache } from './json-copy.ts';

export type { RedisConnection, RedisMode } from './redis-client.ts';
export type { RedisStoreInfo } from './redis-health.ts';
export type { RedisClient } from './redis-scripts.ts';

/**
 * Options of {@link RedisSessionStore}: where Redis is (`url`, `cluster`, `sentinels` + `name`,
 * or a `client` of yours, which the store never closes), plus the key prefix and command timeout.
 */
export type RedisSessionStoreOptions = RedisConnection & {
  /** Prefix of every key. Default `'portcullis:'`. */
  prefix?: string;
  /** How long a store operation may wait for Redis before it fails (503), ms. Default 2000. */
  commandTimeout?: number;
};

interface StoredIndex extends SessionIndex {
  /** Nonce of this write's index entries (`<id> <n>`). */
  n?: string;
}

interface Stored {
  r: SessionRecord;
  i?: StoredIndex;
}

/** Slack on index expiry: covers the gap between index and record writes and clock skew between cluster nodes. */
const INDEX_GRACE_MS = 1000;

/** Sessions, login states, the back-channel index and the refresh locks in Redis. */
export class RedisSessionStore implements SessionStore {
  /** The ioredis client (standalone/Sentinel `Redis`, or `Cluster`). */
  readonly client: RedisClient;
  /** The deployment shape this store talks to. */
  readonly mode: RedisMode;
  /** Where the data lives, without passwords (for messages and logs). */
  readonly target: string;
  readonly #prefix: string;
  readonly #owned: boolean;
  readonly #timeout: number;
  readonly #secrets: string[];
  readonly #parsed = new ParsedCache<SessionRecord>();
  #lastError: string | undefined;

  constructor(options: RedisSessionStoreOptions) {
    const { prefix, commandTimeout, ...connection } = options;
    this.#prefix = prefix ?? 'portcullis:';
    this.#timeout = commandTimeout ?? 2000;
    this.#owned = connection.client === undefined;
    const opened = openClient(connection as RedisConnection, this.#timeout);
    this.client = opened.client;
    this.mode = opened.mode;
    this.target = opened.target;
    this.#secrets = opened.secrets;
    // Without a listener, ioredis's connection errors would crash the process. The last one
    // explains a failed readiness check better than a timeout does.
    const remember = (err: unknown) => {
      this.#lastError = this.scrub(err instanceof Error ? messageOf(err) : String(err));
    };
    this.client.on('error', remember);
    this.client.on('node error', remember);
    this.client.on('ready', () => {
      this.#lastError = undefined;
    });
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const value = await this.#run(() => this.client.get(this.#key(id)));
    // The same text as last time skips the parse; any change (another instance's write) is a new parse.
    return value ? this.#parsed.parse(id, value, recordOf) : undefined;
  }

  async set(id: string, record: SessionRecord, ttlMs: number, index?: SessionIndex): Promise<void> {
    await this.#write(id, record, ttlMs, index, 's', '');
  }

  async add(id: string, record: SessionRecord, ttlMs: number): Promise<boolean> {
    const stored: Stored = { r: record };
    return (await this.#run(() => this.client.set(this.#key(id), JSON.stringify(stored), 'PX', ttl(ttlMs), 'NX'))) === 'OK';
  }

  async setIf(id: string, record: SessionRecord, ttlMs: number, index: SessionIndex | undefined, expected: string | null): Promise<boolean> {
    return expected === null ? this.#write(id, record, ttlMs, index, 'n', '') : this.#write(id, record, ttlMs, index, 'v', expected);
  }

  async destroy(id: string): Promise<void> {
    await this.take(id);
  }

  async take(id: string): Promise<SessionRecord | undefined> {
    this.#parsed.delete(id);
    const value = (await this.#run(() => runScript(this.client, REMOVE, [this.#key(id)], []))) as string | null;
    if (!value) return undefined;
    const stored = JSON.parse(value) as Stored;
    if (stored.i) await this.#unindex(id, stored.i);
    return stored.r;
  }

  async findIds(query: SessionIndex): Promise<string[]> {
    const key = query.sid ? this.#indexKey('sid', query.sid) : query.sub ? this.#indexKey('sub', query.sub) : undefined;
    if (!key) return [];
    const members = await this.#run(() => this.client.zrange(key, '0', '-1'));
    const candidates = [...new Set(members.map(idOf))];
    // The index is a hint (another slot, written in another step): trust only what each record says.
    const keys = candidates.map((id) => this.#key(id));
    // One MGET on a single node; a cluster spreads the records over slots, one GET each.
    const records = this.mode === 'cluster' ? await Promise.all(keys.map((key) => this.#run(() => this.client.get(key)))) : keys.length ? await this.#run(() => (this.client as Redis).mget(keys)) : [];
    return candidates.filter((_, n) => {
      const value = records[n];
      if (!value) return false;
      const i = (JSON.parse(value) as Stored).i;
      return i !== undefined && (!query.sid || i.sid === query.sid) && (!query.sub || i.sub === query.sub);
    });
  }

  async acquireLock(name: string, leaseMs: number): Promise<LockHandle | undefined> {
    const key = `${this.#prefix}lock:${name}`;
    const token = randomBytes(16).toString('base64url');
    const ok = await this.#run(() => this.client.set(key, token, 'PX', ttl(leaseMs), 'NX'));
    if (ok !== 'OK') return undefined;
    return {
      extend: async (ms) => (await this.#run(() => runScript(this.client, EXTEND, [key], [token, ttl(ms)]))) === 1,
      release: async () => {
        await this.#run(() => runScript(this.client, RELEASE, [key], [token]));
      },
    };
  }

  /** Answers when a Redis node answers PING. Proves little (a sentinel answers too): see {@link roundTrip}. */
  async ping(): Promise<void> {
    await this.#run(() => this.client.ping());
  }

  /**
   * A real write, read and delete of a probe record through this store's key layout and
   * scripts (readiness). Rejects with a message naming the target (never a password)
   * and, where it can tell, what is wrong (a Sentinel port given as a Redis URL, a
   * Cluster node given as a single Redis, ...).
   */
  async roundTrip(): Promise<void> {
    await roundTrip(this, () => this.#lastError);
  }

  /**
   * What the operator should know about the Redis behind the store: persistence (AOF,
   * RDB snapshots), the eviction policy (anything but `noeviction`/`volatile-*` may drop
   * sessions), and the deployment shape. On a cluster, from one primary. Settings the
   * server refuses to show (managed Redis often disables CONFIG) read `unknown`/false.
   */
  async inspect(): Promise<RedisStoreInfo> {
    return this.#run(() => inspectRedis(this.client, this.mode));
  }

  /** Closes the client when the store created it. */
  async close(): Promise<void> {
    if (this.#owned) this.client.disconnect();
  }

  /** `message` without any configured password. */
  scrub(message: string): string {
    return scrub(message, this.#secrets);
  }

  async #write(id: string, record: SessionRecord, ttlMs: number, index: SessionIndex | undefined, mode: 's' | 'n' | 'v', expected: string): Promise<boolean> {
    const ms = ttl(ttlMs);
    const i: StoredIndex | undefined =
      index?.sub || index?.sid ? { ...(index.sub ? { sub: index.sub } : {}), ...(index.sid ? { sid: index.sid } : {}), n: randomBytes(6).toString('base64url') } : undefined;
    // Index first: a crash between the steps leaves a stale hint, not an unfindable session.
    if (i) {
      const member = `${id} ${i.n}`;
      await Promise.all(this.#indexKeys(i).map((key) => this.#run(() => runScript(this.client, INDEX_ADD, [key], [member, ms, INDEX_GRACE_MS]))));
    }
    const stored: Stored = i ? { r: record, i } : { r: record };
    const reply = (await this.#run(() => runScript(this.client, WRITE, [this.#key(id)], [JSON.stringify(stored), ms, mode, expected]))) as [number, string?, string?, string?];
    if (reply[0] !== 1) {
      if (i) await this.#unindex(id, i);
      return false;
    }
    const [, sub = '', sid = '', n = ''] = reply;
    if (sub || sid) await this.#unindex(id, { ...(sub ? { sub } : {}), ...(sid ? { sid } : {}), ...(n ? { n } : {}) });
    return true;
  }

  /** Removes the index entries of one written value; best effort (a leftover is a verified hint that expires). */
  async #unindex(id: string, i: StoredIndex): Promise<void> {
    const member = i.n ? `${id} ${i.n}` : id;
    await Promise.all(this.#indexKeys(i).map((key) => this.#run(() => this.client.zrem(key, member)))).catch(() => {});
  }

  #indexKeys(i: SessionIndex): string[] {
    return [...(i.sub ? [this.#indexKey('sub', i.sub)] : []), ...(i.sid ? [this.#indexKey('sid', i.sid)] : [])];
  }

  #indexKey(kind: 'sub' | 'sid', value: string): string {
    return `${this.#prefix}${kind}:${value}`;
  }

  #key(id: string): string {
    return `${this.#prefix}sess:${id}`;
  }

  /** Runs one Redis step within the command timeout; any failure is a 503 (fail closed). */
  #run<T>(command: () => Promise<T>): Promise<T> {
    // One promise and one timer per command, no Promise.race: this runs on every proxied call.
    return new Promise<T>((resolve, reject) => {
      const fail = (err: unknown) => {
        clearTimeout(timer);
        const message = this.scrub(err instanceof Error ? err.message : String(err));
        reject(new TemporarilyUnavailable('The session store is unavailable: try again shortly.', { cause: new Error(message) }));
      };
      // ioredis times out commands on a connection, not those queued while a cluster reconnects: bound both.
      const timer = setTimeout(() => fail(new Error(`Redis did not answer within ${this.#timeout} ms`)), this.#timeout);
      try {
        command().then((value) => {
          clearTimeout(timer);
          resolve(value);
        }, fail);
      } catch (err) {
        fail(err);
      }
    });
  }
}

/** The record inside a stored value. */
const recordOf = (stored: unknown): SessionRecord => (stored as Stored).r;

/** A TTL Redis accepts (a positive integer of ms). */
function ttl(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}

/** An ioredis error's message, with the node error behind "Failed to refresh slots cache". */
function messageOf(err: Error): string {
  const last = (err as Error & { lastNodeError?: unknown }).lastNodeError;
  return last instanceof Error ? `${err.message} (${last.message})` : err.message;
}

/** The session id of an index member (`<id> <nonce>`; entries of older versions are the bare id). */
function idOf(member: string): string {
  const space = member.lastIndexOf(' ');
  return space < 0 ? member : member.slice(0, space);
}

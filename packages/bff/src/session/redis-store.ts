/**
 * A {@link SessionStore} in Redis (ioredis), for several BFF instances
 * behind a load balancer. Records expire with their TTL; the sid/sub index
 * lives in sorted sets scored by expiry, trimmed on every write, and each set
 * expires with its last member, so expired sessions leave nothing behind.
 * Index updates run in Lua scripts: a record and its index change together.
 *
 * Redis unreachable means 503 `temporarily_unavailable`: the store fails
 * closed (never "anonymous") and recovers by itself when Redis is back.
 * Keys are not hash-tagged: use a single Redis (or a primary with replicas),
 * not Redis Cluster.
 */
import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { TemporarilyUnavailable } from '../errors.ts';
import type { LockHandle, SessionIndex, SessionRecord, SessionStore } from './store.ts';

/** Options of {@link RedisSessionStore}: a URL (the store owns the client) or a client of yours. */
export type RedisSessionStoreOptions = ({ url: string; client?: never } | { client: Redis; url?: never }) & {
  /** Prefix of every key. Default `'portcullis:'`. */
  prefix?: string;
  /** Per-command timeout for a client created from `url`, ms. Default 2000. */
  commandTimeout?: number;
};

// KEYS: none (names are built from the prefix). ARGV: prefix, id.
// Removes the record's index entries (read from the stored value).
const UNINDEX = `
local function unindex(prefix, id, value)
  if not value then return end
  local ok, decoded = pcall(cjson.decode, value)
  if not ok or type(decoded) ~= 'table' or type(decoded.i) ~= 'table' then return end
  if type(decoded.i.sub) == 'string' then redis.call('ZREM', prefix .. 'sub:' .. decoded.i.sub, id) end
  if type(decoded.i.sid) == 'string' then redis.call('ZREM', prefix .. 'sid:' .. decoded.i.sid, id) end
end
`;

// ARGV: prefix, id, value, ttlMs, nowMs, sub, sid
const SET = `${UNINDEX}
local prefix, id, value, ttl, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local key = prefix .. 'sess:' .. id
unindex(prefix, id, redis.call('GET', key))
redis.call('SET', key, value, 'PX', ttl)
local expires = now + ttl
local function index(kind, name)
  if name == '' then return end
  local ikey = prefix .. kind .. name
  redis.call('ZREMRANGEBYSCORE', ikey, '-inf', now)
  redis.call('ZADD', ikey, expires, id)
  local last = redis.call('ZRANGE', ikey, -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', ikey, math.floor(tonumber(last[2])))
end
index('sub:', ARGV[6])
index('sid:', ARGV[7])
return 1
`;

// ARGV: prefix, id. Returns the removed value (take) or nil.
const DESTROY = `${UNINDEX}
local prefix, id = ARGV[1], ARGV[2]
local key = prefix .. 'sess:' .. id
local value = redis.call('GET', key)
unindex(prefix, id, value)
redis.call('DEL', key)
return value
`;

// ARGV: key, token, leaseMs. Extends a lock only for its holder.
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

interface Stored {
  r: SessionRecord;
  i?: SessionIndex;
}

/** Sessions, login states and the back-channel index in Redis. */
export class RedisSessionStore implements SessionStore {
  /** The ioredis client. */
  readonly client: Redis;
  readonly #prefix: string;
  readonly #owned: boolean;

  constructor(options: RedisSessionStoreOptions) {
    this.#prefix = options.prefix ?? 'portcullis:';
    this.#owned = options.client === undefined;
    this.client =
      options.client ??
      new Redis(options.url!, {
        // While Redis is away, a command waits at most commandTimeout (queued commands included),
        // then fails: the request gets 503 instead of hanging.
        enableOfflineQueue: true,
        maxRetriesPerRequest: 1,
        commandTimeout: options.commandTimeout ?? 2000,
        retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
        lazyConnect: false,
      } satisfies RedisOptions);
    // Without a listener, ioredis's connection errors would crash the process.
    this.client.on('error', () => {});
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const value = await this.#run(() => this.client.get(this.#key(id)));
    return value ? (JSON.parse(value) as Stored).r : undefined;
  }

  async set(id: string, record: SessionRecord, ttlMs: number, index?: SessionIndex): Promise<void> {
    const stored: Stored = index ? { r: record, i: index } : { r: record };
    await this.#run(() => this.client.eval(SET, 0, this.#prefix, id, JSON.stringify(stored), Math.max(1, Math.ceil(ttlMs)), Date.now(), index?.sub ?? '', index?.sid ?? ''));
  }

  async destroy(id: string): Promise<void> {
    await this.#run(() => this.client.eval(DESTROY, 0, this.#prefix, id));
  }

  async take(id: string): Promise<SessionRecord | undefined> {
    const value = (await this.#run(() => this.client.eval(DESTROY, 0, this.#prefix, id))) as string | null;
    return value ? (JSON.parse(value) as Stored).r : undefined;
  }

  async findIds(query: SessionIndex): Promise<string[]> {
    const key = query.sid ? `${this.#prefix}sid:${query.sid}` : query.sub ? `${this.#prefix}sub:${query.sub}` : undefined;
    if (!key) return [];
    return this.#run(() => this.client.zrangebyscore(key, Date.now(), '+inf'));
  }

  async acquireLock(name: string, leaseMs: number): Promise<LockHandle | undefined> {
    const key = `${this.#prefix}lock:${name}`;
    const token = randomBytes(16).toString('base64url');
    const ok = await this.#run(() => this.client.set(key, token, 'PX', leaseMs, 'NX'));
    if (ok !== 'OK') return undefined;
    return {
      extend: async (ms) => (await this.#run(() => this.client.eval(EXTEND, 1, key, token, ms))) === 1,
      release: async () => {
        await this.#run(() => this.client.eval(RELEASE, 1, key, token));
      },
    };
  }

  /** Answers PONG when Redis is reachable (readiness checks). */
  async ping(): Promise<void> {
    await this.#run(() => this.client.ping());
  }

  /** Closes the client when the store created it. */
  async close(): Promise<void> {
    if (this.#owned) this.client.disconnect();
  }

  #key(id: string): string {
    return `${this.#prefix}sess:${id}`;
  }

  async #run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      throw new TemporarilyUnavailable('The session store is unavailable: try again shortly.', { cause: err });
    }
  }
}

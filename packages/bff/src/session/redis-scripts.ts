/**
 * The Lua scripts of {@link RedisSessionStore}, and how they run.
 *
 * Every script declares every key it touches in KEYS and touches one key
 * only, so each runs on the node that owns that key's slot (Redis Cluster
 * refuses anything else). A record and its index entries therefore change in
 * separate steps; the store orders them so that a crash leaves at most a
 * stale index entry (a hint, verified on read), never a missing one.
 */
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/** A standalone/Sentinel client or a Cluster client. */
export type RedisClient = Redis | Cluster;

/** A Lua script with its SHA1, run by EVALSHA (EVAL when the server has not cached it yet). */
export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
}

function script(lua: string): LuaScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * KEYS[1] record. ARGV: value, ttlMs, mode (`s` set, `n` only when absent, `v` only when
 * the stored record's `r.v` equals ARGV[4]). Returns {0} when the condition failed, else
 * {1, oldSub, oldSid, oldNonce} (empty strings when the replaced value had no index).
 */
export const WRITE = script(`
local old = redis.call('GET', KEYS[1])
local mode = ARGV[3]
local decoded
if old then
  local ok, value = pcall(cjson.decode, old)
  if ok and type(value) == 'table' then decoded = value end
end
if mode == 'n' and old then return {0} end
if mode == 'v' then
  -- A record without a string v (a tombstone, or no record) never matches a version.
  if not decoded or type(decoded.r) ~= 'table' or decoded.r.v ~= ARGV[4] then return {0} end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local i = decoded and decoded.i
if type(i) ~= 'table' then return {1, '', '', ''} end
local function str(x) if type(x) == 'string' then return x end return '' end
return {1, str(i.sub), str(i.sid), str(i.n)}
`);

/** KEYS[1] record. Deletes it; returns the removed value (or nil). */
export const REMOVE = script(`
local value = redis.call('GET', KEYS[1])
if value then redis.call('DEL', KEYS[1]) end
return value
`);

/**
 * KEYS[1] an index sorted set (members `<id> <nonce>`, scored by expiry in this node's
 * clock). ARGV: member, ttlMs, graceMs. Trims expired members, adds this one, and lets
 * the set expire with its last member (plus the grace).
 */
export const INDEX_ADD = script(`
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local grace = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - grace)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], math.floor(tonumber(last[2])) + grace)
return 1
`);

/** KEYS[1] lock. ARGV: token, leaseMs. Extends a lock only for its holder. */
export const EXTEND = script(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`);

/** KEYS[1] lock. ARGV: token. Releases a lock only for its holder. */
export const RELEASE = script(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`);

/** Runs `s` with `keys` and `args`: EVALSHA, then EVAL once when the node does not know the script. */
export async function runScript(client: RedisClient, s: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> {
  try {
    return await client.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (err) {
    // Each node has its own script cache (restarts and failovers empty it).
    if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return client.eval(s.lua, keys.length, ...keys, ...args);
    throw err;
  }
}

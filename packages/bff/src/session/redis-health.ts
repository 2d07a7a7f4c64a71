/**
 * Readiness and diagnostics of a Redis session store: a real round trip
 * through the store (PING proves nothing: a sentinel or a cluster node
 * answers it too), and what the operator should know about persistence and
 * eviction.
 */
import { randomBytes } from 'node:crypto';
import { ioredis } from './ioredis.ts';
import type { RedisMode } from './redis-client.ts';
import type { RedisClient } from './redis-scripts.ts';
import type { SessionStore } from './store.ts';

/** What {@link inspectRedis} reports. */
export interface RedisStoreInfo {
  /** Whether the (primary) node writes an append-only file, and RDB snapshots. */
  persistence: { aof: boolean; rdb: boolean };
  /** `maxmemory-policy`, or `unknown` when the server does not say. */
  maxmemoryPolicy: string;
  mode: RedisMode;
}

/** The parts of the store a round trip goes through. */
export interface ProbedStore extends Pick<SessionStore, 'get' | 'destroy'> {
  readonly client: RedisClient;
  readonly mode: RedisMode;
  readonly target: string;
  setIf: NonNullable<SessionStore['setIf']>;
  scrub(message: string): string;
}

/** Writes, reads and deletes probe records through `store`; rejects with a password-free explanation. */
export async function roundTrip(store: ProbedStore, lastConnectionError: () => string | undefined): Promise<void> {
  try {
    if (store.mode === 'standalone') await checkShape(store.client);
    // One probe per primary at best: random ids land on random slots.
    const probes = store.client instanceof ioredis().Cluster ? Math.max(1, store.client.nodes('master').length) : 1;
    await Promise.all(Array.from({ length: probes }, () => probe(store)));
  } catch (err) {
    let reason = innermost(err);
    const last = lastConnectionError();
    // A timeout or "max retries" says little: the connection's own error says why.
    if (last && !reason.includes(last)) reason += `; last connection error: ${last}`;
    throw new Error(store.scrub(`Redis session store (${store.target}) failed a write/read/delete round trip: ${reason}${hint(reason)}`));
  }
}

async function probe(store: ProbedStore): Promise<void> {
  const id = `probe:${randomBytes(12).toString('base64url')}`;
  const v = randomBytes(9).toString('base64url');
  if (!(await store.setIf(id, { v }, 30_000, undefined, null))) throw new Error('a new probe record was refused');
  const back = await store.get(id);
  if (back?.['v'] !== v) throw new Error('the probe record read back differs from what was written');
  await store.destroy(id);
  if ((await store.get(id)) !== undefined) throw new Error('the probe record is still there after its delete');
}

/** A single-Redis client must not be talking to a sentinel or to one node of a cluster. */
async function checkShape(client: RedisClient): Promise<void> {
  const info = await answer(() => client.info('server'));
  const mode = info === undefined ? undefined : parseInfo(info)['redis_mode'];
  if (mode === 'sentinel') throw new Error('this address is a Redis Sentinel, not a Redis data node');
  if (mode === 'cluster') throw new Error('this address is one node of a Redis Cluster');
}

function hint(reason: string): string {
  if (/Redis Sentinel|unknown command/i.test(reason)) return ' (a Sentinel port? configure { sentinels: ["host:port"], name } instead of a URL)';
  if (/Redis Cluster|MOVED|CLUSTERDOWN|CROSSSLOT/.test(reason)) return ' (a Redis Cluster? configure { cluster: [seed URLs] } instead of a URL)';
  if (/cluster support disabled/i.test(reason)) return ' (not a Redis Cluster: configure { url } instead of { cluster })';
  if (/READONLY/.test(reason)) return ' (a read-only replica: point at the primary, or use Sentinel)';
  if (/WRONGPASS|NOAUTH|NOPERM/.test(reason)) return ' (check the Redis user, password and ACL)';
  return '';
}

/** Persistence, eviction policy and shape, read from the primary (one primary of a cluster). */
export async function inspectRedis(client: RedisClient, mode: RedisMode): Promise<RedisStoreInfo> {
  let node = client;
  if (client instanceof ioredis().Cluster) {
    await client.ping(); // connected, slots known
    const primary = client.nodes('master')[0];
    if (!primary) throw new Error('no Redis Cluster primary is known');
    node = primary;
  }
  const persistence = parseInfo((await answer(() => node.info('persistence'))) ?? '');
  const memory = parseInfo((await answer(() => node.info('memory'))) ?? '');
  const save = await answer(() => node.config('GET', 'save') as Promise<unknown>);
  let policy = memory['maxmemory_policy'];
  if (policy === undefined) {
    const reply = await answer(() => node.config('GET', 'maxmemory-policy') as Promise<unknown>);
    policy = Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : undefined;
  }
  // Without CONFIG, RDB counts as on only when the server has saved since it started.
  const rdb = Array.isArray(save) ? typeof save[1] === 'string' && save[1].trim() !== '' : Number(persistence['rdb_saves'] ?? 0) > 0;
  return { persistence: { aof: persistence['aof_enabled'] === '1', rdb }, maxmemoryPolicy: policy ?? 'unknown', mode };
}

/** The reply, or undefined when the server refused the command (ACL, renamed CONFIG); connection errors throw. */
async function answer<T>(command: () => Promise<T>): Promise<T | undefined> {
  try {
    return await command();
  } catch (err) {
    if (err instanceof Error && err.name === 'ReplyError') return undefined;
    throw err;
  }
}

function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) out[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return out;
}

function innermost(err: unknown): string {
  let current = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

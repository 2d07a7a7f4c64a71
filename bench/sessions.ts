/**
 * Bytes per session and lookup time, with real tokens from the demo
 * provider: N logins per store, then for each record
 *   - the stored JSON (what the store keeps: tokens inside are a JWE),
 *   - in Redis: STRLEN and MEMORY USAGE of the record key, plus its share of
 *     the sid/sub index keys,
 *   - in memory: the V8 heap held per record (K copies of a real record in a
 *     fresh MemorySessionStore, measured between forced GCs),
 * and the time of `repository.get(id)` (store read + token decryption, what
 * every proxied request pays) and of `store.get(id)` alone.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MemorySessionStore, RedisSessionStore, silentLogger, type SessionRecord, type SessionStore } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import { BffClient } from '../test/helpers/bff-client.ts';
import { sessionIdOf } from '../test/helpers/sessions.ts';
import { redisMissing, startBenchRedis, type BenchRedis } from './lib/redis.ts';
import type { Settings } from './lib/settings.ts';
import { median, percentiles, round } from './lib/stats.ts';
import { internalsOf } from '../packages/bff/src/internals.ts';

export interface LookupTiming {
  iterations: number;
  /** µs */
  median: number;
  p99: number;
}

export interface StoreSessions {
  store: 'memory' | 'redis';
  skipped?: string;
  sessions: number;
  /** Stored JSON bytes per record (JSON.stringify of what the store holds). */
  jsonBytes?: { median: number; min: number; max: number };
  /** Bytes of the tokens part alone: the JWE in the record, and the JSON it decrypts to. */
  tokenBytes?: { jwe: number; clear: number; accessToken: number; refreshToken: number; idToken: number };
  /** Redis only: STRLEN of the record value, MEMORY USAGE of the record key, and of the per-session sid index key. */
  redis?: {
    strlen: number;
    memoryUsage: number;
    sidIndexMemoryUsage: number;
    /** INFO used_memory growth per login after the first (allocator overhead and fragmentation included). */
    usedMemoryDeltaPerSession: number;
  };
  /** Memory only: V8 heap held per record in a MemorySessionStore (K copies of a real record). */
  heapBytesPerRecord?: number;
  /** `repository.get(id)`: read + decrypt the tokens (µs). */
  repositoryGet?: LookupTiming;
  /** `store.get(id)` alone (µs). */
  storeGet?: LookupTiming;
}

export interface SessionsResult {
  date: string;
  goalBytes: number;
  stores: StoreSessions[];
}

function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

async function time(iterations: number, ids: string[], get: (id: string) => Promise<unknown>): Promise<LookupTiming> {
  // Warm-up (JIT, connection) first.
  for (let i = 0; i < Math.min(500, iterations); i++) await get(ids[i % ids.length]!);
  const samples = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const started = process.hrtime.bigint();
    const record = await get(ids[i % ids.length]!);
    samples[i] = Number(process.hrtime.bigint() - started) / 1000;
    if (!record) throw new Error('a session record vanished during the lookup benchmark');
  }
  const [p50, p99] = percentiles(samples, [50, 99]);
  return { iterations, median: round(p50!, 1), p99: round(p99!, 1) };
}

async function loginMany(stack: DemoStack, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const tab = new BffClient(stack.baseUrl);
    await tab.login(i % 2 ? 'bob' : 'alice');
    ids.push(sessionIdOf(tab));
  }
  return ids;
}

async function measureStore(kind: 'memory' | 'redis', n: number, iterations: number, redis: BenchRedis | undefined): Promise<StoreSessions> {
  const store: SessionStore = kind === 'redis' ? new RedisSessionStore({ url: redis!.url }) : new MemorySessionStore();
  const stack = await startDemoStack({ logger: silentLogger, store });
  try {
    const redisClient = kind === 'redis' ? (store as RedisSessionStore).client : undefined;
    const usedMemory = async () => Number(/used_memory:(\d+)/.exec((await redisClient!.info('memory')) ?? '')?.[1] ?? 0);
    // Redis used_memory growth from the 2nd login on (the first one allocates client buffers and scripts).
    const ids = await loginMany(stack, 1);
    const before = redisClient ? await usedMemory() : 0;
    ids.push(...(await loginMany(stack, n - 1)));
    const after = redisClient ? await usedMemory() : 0;

    const sizes: number[] = [];
    const raw: SessionRecord[] = [];
    for (const id of ids) {
      const record = await store.get(id);
      if (!record) throw new Error(`no stored record for session ${id}`);
      raw.push(record);
      sizes.push(Buffer.byteLength(JSON.stringify(record)));
    }
    const first = raw[0]!;
    const jwe = (first['auth'] as { tokens: string }).tokens;
    const clear = (await internalsOf(stack.bff).repository.get(ids[0]!))!['auth'] as { tokens: { accessToken: string; refreshToken?: string; idToken: string } };
    const result: StoreSessions = {
      store: kind,
      sessions: n,
      jsonBytes: { median: median(sizes), min: Math.min(...sizes), max: Math.max(...sizes) },
      tokenBytes: {
        jwe: jwe.length,
        clear: Buffer.byteLength(JSON.stringify(clear.tokens)),
        accessToken: clear.tokens.accessToken.length,
        refreshToken: clear.tokens.refreshToken?.length ?? 0,
        idToken: clear.tokens.idToken.length,
      },
    };

    if (redisClient) {
      const strlens: number[] = [];
      const usages: number[] = [];
      const sidUsages: number[] = [];
      for (const [i, id] of ids.entries()) {
        strlens.push(await redisClient.strlen(`portcullis:sess:${id}`));
        usages.push(Number(await redisClient.call('MEMORY', 'USAGE', `portcullis:sess:${id}`, 'SAMPLES', '0')));
        const sid = (raw[i]!['auth'] as { sid?: string }).sid;
        if (sid) sidUsages.push(Number(await redisClient.call('MEMORY', 'USAGE', `portcullis:sid:${sid}`, 'SAMPLES', '0')));
      }
      result.redis = {
        strlen: median(strlens),
        memoryUsage: median(usages),
        sidIndexMemoryUsage: sidUsages.length ? median(sidUsages) : 0,
        usedMemoryDeltaPerSession: Math.round((after - before) / (n - 1)),
      };
    } else {
      // Heap per record: K copies of a real record (distinct ids, sub and sid) in a fresh store.
      const gc = gcFunction();
      const k = 2000;
      const probe = new MemorySessionStore({ maxEntries: k + 1 });
      gc();
      gc();
      const heap0 = process.memoryUsage().heapUsed;
      for (let i = 0; i < k; i++) {
        const auth = first['auth'] as Record<string, unknown>;
        await probe.set(`${String(i).padStart(43, 'x')}`, { ...first, auth: { ...auth, sub: `user-${i}`, sid: `sid-${i}` } }, 3_600_000, { sub: `user-${i}`, sid: `sid-${i}` });
      }
      gc();
      gc();
      result.heapBytesPerRecord = Math.round((process.memoryUsage().heapUsed - heap0) / k);
      probe.close();
    }

    result.repositoryGet = await time(iterations, ids, (id) => internalsOf(stack.bff).repository.get(id));
    result.storeGet = await time(iterations, ids, (id) => store.get(id));
    return result;
  } finally {
    await stack.stop();
    if (kind === 'redis') await (store as RedisSessionStore).close();
    else (store as MemorySessionStore).close();
  }
}

export async function runSessions(settings: Settings, log: (line: string) => void = console.log): Promise<SessionsResult> {
  const n = settings.quick ? 6 : 20;
  const iterations = settings.quick ? 2000 : 10_000;
  log(`sessions: ${n} logins per store, ${iterations} lookups`);
  const stores: StoreSessions[] = [await measureStore('memory', n, iterations, undefined)];
  const missing = redisMissing();
  const redis = missing ? undefined : await startBenchRedis();
  try {
    stores.push(redis ? await measureStore('redis', n, iterations, redis) : { store: 'redis', sessions: 0, skipped: missing ?? 'Redis did not start' });
  } finally {
    await redis?.stop();
  }
  return { date: new Date().toISOString(), goalBytes: 4096, stores };
}

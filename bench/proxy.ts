/**
 * Proxy overhead. Six targets, each in its own process, load-tested by
 * autocannon in this one:
 *   (1) upstream   the loopback API itself (1 KiB JSON)
 *   (2) bare       a bare Node http server + http-proxy + keep-alive agent: the floor for a Node proxy
 *   (3) bff-memory the BFF's fast path (`bff.callback(app)`: no Koa context), signed-in session, in-memory store
 *   (4) bff-redis  the same with the Redis session store
 *   (5) bff-koa    the BFF's Koa route (`app.callback()`), in-memory store: what an app gets without the fast path
 *   (6) koa        Koa + http-proxy and nothing else: the floor of any Koa-based proxy
 *   (7) serve      `portcullis serve` (startServer: request ids, access log, fast path, Koa), memory store
 * Every request carries the same headers (session cookie + `x-csrf: 1`).
 * Two kinds of run per target and round: saturating (closed loop, -c 50:
 * req/s and the latency that comes with it) and fixed-rate (open loop at
 * `rate` req/s from a paced generator, well under every target's capacity:
 * the latency a request pays for the proxy when little queues).
 * Runs are interleaved (1,2,3,4,1,2,3,4,...) so that drifting machine load
 * hits every target alike; medians over the rounds are reported.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startTarget, type Target } from './lib/child.ts';
import { load, type LoadResult } from './lib/load.ts';
import { paced } from './lib/paced.ts';
import { signIn } from './lib/login.ts';
import { redisMissing, startBenchRedis, type BenchRedis } from './lib/redis.ts';
import type { Settings } from './lib/settings.ts';
import { median, round } from './lib/stats.ts';

export type ProxyTargetKey = 'upstream' | 'bare' | 'bff-memory' | 'bff-redis' | 'bff-koa' | 'koa' | 'serve';

export interface ProxyRound extends LoadResult {
  round: number;
  /** CPU time of the target process per request, µs (the upstream's own for target 1). */
  cpuUsPerRequest: number;
  /** CPU time of the upstream process per request, µs. */
  upstreamCpuUsPerRequest: number;
  /** The fixed-rate run of this round. */
  fixed?: { rate: number; achievedRps: number; p50: number; p90: number; p99: number; max: number };
}

export interface ProxyTargetResult {
  key: ProxyTargetKey;
  label: string;
  path: string;
  skipped?: string;
  warmup?: LoadResult;
  rounds: ProxyRound[];
  median?: { rps: number; p50: number; p90: number; p99: number; cpuUsPerRequest: number; fixedP50?: number; fixedP99?: number };
}

export interface Goal {
  value: number;
  goal: number;
  /** `min`: value >= goal; `max`: value <= goal. */
  kind: 'min' | 'max';
  met: boolean;
}

export interface ProxyResult {
  date: string;
  settings: Pick<Settings, 'rounds' | 'durationS' | 'warmupS' | 'connections' | 'rate' | 'rateDurationS'>;
  redisVersion?: string;
  targets: ProxyTargetResult[];
  goals: {
    /** req/s (3)/(2) >= 0.90 */
    memoryRatio?: Goal;
    /** p99 (3) - p99 (2) <= 1 ms */
    memoryP99OverheadMs?: Goal;
    /** req/s (4)/(2) >= 0.85 */
    redisRatio?: Goal;
    /** CPU µs per request (3)/(2) <= 1.15 */
    memoryCpuRatio?: Goal;
    /** CPU µs per request (4)/(2), informational (compared with 1.15) */
    redisCpuRatio?: Goal;
    /** req/s (5)/(2), informational: the Koa route (compared with 0.90) */
    koaRouteRatio?: Goal;
    /** req/s (6)/(2), informational: the Koa floor (compared with 0.90) */
    koaFloorRatio?: Goal;
    /** req/s (7)/(2): `portcullis serve` with the memory store (>= 0.90) */
    serveRatio?: Goal;
    /** CPU µs per request (7)/(2) (<= 1.15) */
    serveCpuRatio?: Goal;
    /** fixed-rate p99 (7) - (2) (<= 1 ms) */
    serveFixedP99OverheadMs?: Goal;
    /** p99 (4) - p99 (2), informational (no goal given: compared with 1 ms) */
    redisP99OverheadMs?: Goal;
    /** The same p99 differences in the fixed-rate runs (no queueing). */
    memoryFixedP99OverheadMs?: Goal;
    redisFixedP99OverheadMs?: Goal;
  };
}

const LABELS: Record<ProxyTargetKey, string> = {
  upstream: '(1) upstream direct',
  bare: '(2) bare http-proxy',
  'bff-memory': '(3) BFF, memory store',
  'bff-redis': '(4) BFF, Redis store',
  'bff-koa': '(5) BFF Koa route, memory',
  koa: '(6) Koa + http-proxy',
  serve: '(7) portcullis serve, memory',
};

const goal = (value: number, target: number, kind: 'min' | 'max'): Goal => ({
  value: round(value, 3),
  goal: target,
  kind,
  met: kind === 'min' ? value >= target : value <= target,
});

export async function runProxy(settings: Settings, log: (line: string) => void = console.log): Promise<ProxyResult> {
  const started: Target[] = [];
  let redis: BenchRedis | undefined;
  const start = async (name: string, file: string, env: Record<string, string> = {}) => {
    const target = await startTarget(name, file, { env });
    started.push(target);
    return target;
  };
  try {
    const missing = redisMissing();
    redis = missing ? undefined : await startBenchRedis();
    const upstream = await start('upstream', 'upstream.ts');
    const env = { BENCH_UPSTREAM: upstream.url };
    const [bare, bffMemory, bffRedis, bffKoa, koa, serve] = await Promise.all([
      start('bare', 'bare-proxy.ts', env),
      start('bff-memory', 'bff.ts', { ...env, BENCH_STORE: 'memory', BENCH_PATH: 'fast' }),
      redis ? start('bff-redis', 'bff.ts', { ...env, BENCH_STORE: 'redis', BENCH_REDIS_URL: redis.url, BENCH_PATH: 'fast' }) : Promise.resolve(undefined),
      start('bff-koa', 'bff.ts', { ...env, BENCH_STORE: 'memory', BENCH_PATH: 'koa' }),
      start('koa', 'koa-proxy.ts', env),
      start('serve', 'serve.ts', env),
    ]);

    // One real session per BFF (login form of the demo provider), then the same headers everywhere.
    const sessions = await Promise.all([signIn(bffMemory.url), bffRedis ? signIn(bffRedis.url) : undefined, signIn(bffKoa.url), signIn(serve.url)]);
    const plan: Array<{ key: ProxyTargetKey; target: Target | undefined; path: string; headers: Record<string, string>; skipped?: string }> = [
      { key: 'upstream', target: upstream, path: '/data', headers: { cookie: sessions[0]!.cookie, 'x-csrf': '1' } },
      { key: 'bare', target: bare, path: '/data', headers: { cookie: sessions[0]!.cookie, 'x-csrf': '1' } },
      { key: 'bff-memory', target: bffMemory, path: '/api/bench', headers: { cookie: sessions[0]!.cookie, 'x-csrf': '1' } },
      bffRedis
        ? { key: 'bff-redis', target: bffRedis, path: '/api/bench', headers: { cookie: sessions[1]!.cookie, 'x-csrf': '1' } }
        : { key: 'bff-redis', target: undefined, path: '/api/bench', headers: {}, skipped: missing ?? 'Redis did not start' },
      { key: 'bff-koa', target: bffKoa, path: '/api/bench', headers: { cookie: sessions[2]!.cookie, 'x-csrf': '1' } },
      { key: 'koa', target: koa, path: '/api/bench', headers: { cookie: sessions[0]!.cookie, 'x-csrf': '1' } },
      { key: 'serve', target: serve, path: '/api/bench', headers: { cookie: sessions[3]!.cookie, 'x-csrf': '1' } },
    ];

    // Each target must answer 200 with the 1 KiB body before it is measured.
    for (const entry of plan) {
      if (!entry.target) continue;
      const response = await fetch(entry.target.url + entry.path, { headers: entry.headers });
      const body = await response.arrayBuffer();
      if (response.status !== 200 || body.byteLength !== 1024) throw new Error(`${entry.key}: expected 200 with 1024 bytes, got ${response.status} with ${body.byteLength}`);
    }

    const results: ProxyTargetResult[] = plan.map((e) => ({ key: e.key, label: LABELS[e.key], path: e.path, rounds: [], ...(e.skipped ? { skipped: e.skipped } : {}) }));
    const measure = async (entry: (typeof plan)[number], durationS: number): Promise<ProxyRound> => {
      const target = entry.target!;
      const [cpu0, up0] = [await target.cpu(), await upstream.cpu()];
      const result = await load({ url: target.url + entry.path, connections: settings.connections, durationS, headers: entry.headers });
      const [cpu1, up1] = [await target.cpu(), await upstream.cpu()];
      if (result.non2xx || result.errors || result.timeouts) log(`  ! ${entry.key}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
      await sleep(300);
      return {
        round: 0,
        ...result,
        cpuUsPerRequest: round((cpu1 - cpu0) / Math.max(1, result.requests), 1),
        upstreamCpuUsPerRequest: round((up1 - up0) / Math.max(1, result.requests), 1),
      };
    };

    log(
      `proxy: warm-up ${settings.warmupS}s per target, then ${settings.rounds} round(s) x ${plan.filter((p) => p.target).length} targets x (${settings.durationS}s saturating + ${settings.rateDurationS}s at ${settings.rate} req/s), -c ${settings.connections}`,
    );
    for (const [i, entry] of plan.entries()) {
      if (!entry.target) continue;
      const { round: _r, ...warm } = await measure(entry, settings.warmupS);
      results[i]!.warmup = warm;
    }
    for (let r = 1; r <= settings.rounds; r++) {
      for (const [i, entry] of plan.entries()) {
        if (!entry.target) continue;
        const result = { ...(await measure(entry, settings.durationS)), round: r };
        results[i]!.rounds.push(result);
        log(
          `  round ${r} ${LABELS[entry.key].padEnd(24)} ${String(Math.round(result.rps)).padStart(6)} req/s  p50 ${result.p50.toFixed(2)} ms  p99 ${result.p99.toFixed(2)} ms  ${result.cpuUsPerRequest} µs CPU/req`,
        );
      }
      for (const [i, entry] of plan.entries()) {
        if (!entry.target) continue;
        const fixed = await paced({ url: entry.target.url + entry.path, rate: settings.rate, durationS: settings.rateDurationS, headers: entry.headers });
        if (fixed.non2xx || fixed.errors) log(`  ! ${entry.key} (fixed rate): ${fixed.non2xx} non-2xx, ${fixed.errors} errors`);
        results[i]!.rounds.at(-1)!.fixed = { rate: settings.rate, achievedRps: fixed.achievedRps, p50: fixed.p50, p90: fixed.p90, p99: fixed.p99, max: fixed.max };
        log(`  round ${r} ${LABELS[entry.key].padEnd(24)} at ${settings.rate} req/s: p50 ${fixed.p50.toFixed(2)} ms  p99 ${fixed.p99.toFixed(2)} ms`);
        await sleep(300);
      }
    }

    for (const result of results) {
      if (!result.rounds.length) continue;
      const of = (f: (r: ProxyRound) => number) => round(median(result.rounds.map(f)), 3);
      result.median = {
        rps: round(
          of((r) => r.rps),
          1,
        ),
        p50: of((r) => r.p50),
        p90: of((r) => r.p90),
        p99: of((r) => r.p99),
        cpuUsPerRequest: round(
          of((r) => r.cpuUsPerRequest),
          1,
        ),
      };
      if (result.rounds.every((r) => r.fixed)) Object.assign(result.median, { fixedP50: of((r) => r.fixed!.p50), fixedP99: of((r) => r.fixed!.p99) });
    }
    const byKey = Object.fromEntries(results.map((r) => [r.key, r])) as Record<ProxyTargetKey, ProxyTargetResult>;
    const floor = byKey.bare.median!;
    const mem = byKey['bff-memory'].median;
    const red = byKey['bff-redis'].median;
    const koaRoute = byKey['bff-koa'].median;
    const koaFloor = byKey.koa.median;
    const served = byKey.serve.median;
    return {
      date: new Date().toISOString(),
      settings: { rounds: settings.rounds, durationS: settings.durationS, warmupS: settings.warmupS, connections: settings.connections, rate: settings.rate, rateDurationS: settings.rateDurationS },
      ...(redis ? { redisVersion: redis.version } : {}),
      targets: results,
      goals: {
        ...(mem ? { memoryRatio: goal(mem.rps / floor.rps, 0.9, 'min'), memoryP99OverheadMs: goal(mem.p99 - floor.p99, 1, 'max') } : {}),
        ...(red ? { redisRatio: goal(red.rps / floor.rps, 0.85, 'min'), redisP99OverheadMs: goal(red.p99 - floor.p99, 1, 'max') } : {}),
        ...(mem ? { memoryCpuRatio: goal(mem.cpuUsPerRequest / floor.cpuUsPerRequest, 1.15, 'max') } : {}),
        ...(red ? { redisCpuRatio: goal(red.cpuUsPerRequest / floor.cpuUsPerRequest, 1.15, 'max') } : {}),
        ...(koaRoute ? { koaRouteRatio: goal(koaRoute.rps / floor.rps, 0.9, 'min') } : {}),
        ...(koaFloor ? { koaFloorRatio: goal(koaFloor.rps / floor.rps, 0.9, 'min') } : {}),
        ...(served ? { serveRatio: goal(served.rps / floor.rps, 0.9, 'min'), serveCpuRatio: goal(served.cpuUsPerRequest / floor.cpuUsPerRequest, 1.15, 'max') } : {}),
        ...(served?.fixedP99 !== undefined && floor.fixedP99 !== undefined ? { serveFixedP99OverheadMs: goal(served.fixedP99 - floor.fixedP99, 1, 'max') } : {}),
        ...(mem?.fixedP99 !== undefined && floor.fixedP99 !== undefined ? { memoryFixedP99OverheadMs: goal(mem.fixedP99 - floor.fixedP99, 1, 'max') } : {}),
        ...(red?.fixedP99 !== undefined && floor.fixedP99 !== undefined ? { redisFixedP99OverheadMs: goal(red.fixedP99 - floor.fixedP99, 1, 'max') } : {}),
      },
    };
  } finally {
    for (const target of started.reverse()) await target.stop().catch(() => {});
    await redis?.stop();
  }
}

/**
 * A/B the BFF proxy path between builds of @portcullis/bff (e.g. the
 * workspace package and a copy with a change), against the bare http-proxy
 * floor, interleaved like proxy.ts (memory store):
 *
 *   bash .ci/pnpm.sh --filter @portcullis/bench run bench:ab /path/to/variant/src/index.ts [more variants...] [--rounds=N] [--duration=S] [--store=memory|redis]
 *
 * `bearer` adds the bare floor sending what the BFF sends upstream (targets/bare-proxy.ts with
 * BENCH_BARE_BEARER=1). `workspace` as a variant means the workspace package; a `:koa` suffix (`workspace:koa`) runs
 * that build's Koa route instead of its fast path, `:serve` its `portcullis serve` (startServer,
 * targets/serve.ts); `koa` alone adds the
 * Koa + http-proxy reference (targets/koa-proxy.ts: no session, no token). Each variant runs in
 * its own process (BENCH_BFF_MODULE); the variant's directory needs the
 * package's node_modules (a symlink to packages/bff/node_modules works).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startTarget, type Target } from './lib/child.ts';
import { load } from './lib/load.ts';
import { paced } from './lib/paced.ts';
import { signIn } from './lib/login.ts';
import { startBenchRedis, type BenchRedis } from './lib/redis.ts';
import { median, round } from './lib/stats.ts';

const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const variants = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (!variants.length) variants.push('workspace');
const rounds = Number(flag('rounds') ?? 3);
const durationS = Number(flag('duration') ?? 8);
const connections = Number(flag('connections') ?? 50);
const storeKind = flag('store') ?? 'memory';
/** With --rate=R: also a fixed-rate (paced) run per target and round, reporting its p50/p99. */
const rate = flag('rate') ? Number(flag('rate')) : undefined;

const started: Target[] = [];
let redis: BenchRedis | undefined;
try {
  if (storeKind === 'redis') {
    redis = await startBenchRedis();
    if (!redis) throw new Error('redis-server is not installed');
  }
  const upstream = await startTarget('upstream', 'upstream.ts');
  started.push(upstream);
  const env = { BENCH_UPSTREAM: upstream.url };
  const bare = await startTarget('bare', 'bare-proxy.ts', { env });
  started.push(bare);
  const plan: Array<{ name: string; target: Target; path: string; headers: Record<string, string> }> = [{ name: 'bare http-proxy', target: bare, path: '/data', headers: { 'x-csrf': '1' } }];
  for (const variant of variants) {
    if (variant === 'bearer') {
      // The floor with what the BFF sends upstream (bearer token, X-Forwarded-*, no cookie): the cost of the bytes.
      const bearer = await startTarget('bearer', 'bare-proxy.ts', { env: { ...env, BENCH_BARE_BEARER: '1' } });
      started.push(bearer);
      plan.push({ name: 'bare + BFF upstream headers', target: bearer, path: '/data', headers: { 'x-csrf': '1' } });
      continue;
    }
    if (variant === 'koa') {
      const koa = await startTarget('koa', 'koa-proxy.ts', { env });
      started.push(koa);
      plan.push({ name: 'koa + http-proxy (no session)', target: koa, path: '/api/bench', headers: { 'x-csrf': '1' } });
      continue;
    }
    // `<module>:koa` runs that build's Koa route instead of its fast path; `<module>:serve` its `portcullis serve`.
    const [module, path = 'fast'] = variant.split(':') as [string, string?];
    const target = await startTarget(variant, path === 'serve' ? 'serve.ts' : 'bff.ts', {
      env: { ...env, BENCH_STORE: storeKind, BENCH_PATH: path, ...(redis ? { BENCH_REDIS_URL: redis.url } : {}), ...(module === 'workspace' ? {} : { BENCH_BFF_MODULE: module }) },
    });
    started.push(target);
    const { cookie } = await signIn(target.url);
    plan.push({ name: variant, target, path: '/api/bench', headers: { cookie, 'x-csrf': '1' } });
  }
  // Same request headers everywhere (the session cookie of the first BFF variant).
  const withCookie = plan.find((p) => p.headers['cookie'])?.headers;
  if (withCookie) for (const p of plan) p.headers = p.headers['cookie'] ? p.headers : withCookie;
  const rows = new Map(plan.map((p) => [p.name, [] as Array<{ rps: number; p50: number; p99: number; cpu: number; fixedP50?: number; fixedP99?: number }>]));
  for (const p of plan) await load({ url: p.target.url + p.path, connections, durationS: 3, headers: p.headers });
  for (let r = 1; r <= rounds; r++) {
    for (const p of plan) {
      const cpu0 = await p.target.cpu();
      const res = await load({ url: p.target.url + p.path, connections, durationS, headers: p.headers });
      const cpu = ((await p.target.cpu()) - cpu0) / Math.max(1, res.requests);
      if (res.non2xx || res.errors) console.log(`  ! ${p.name}: ${res.non2xx} non-2xx, ${res.errors} errors`);
      rows.get(p.name)!.push({ rps: res.rps, p50: res.p50, p99: res.p99, cpu });
      console.log(`round ${r} ${p.name.slice(-48).padEnd(48)} ${String(Math.round(res.rps)).padStart(6)} req/s  p50 ${res.p50.toFixed(2)}  p99 ${res.p99.toFixed(2)} ms  ${cpu.toFixed(0)} µs CPU/req`);
      await sleep(300);
    }
    if (rate) {
      for (const p of plan) {
        const fixed = await paced({ url: p.target.url + p.path, rate, durationS, headers: p.headers });
        Object.assign(rows.get(p.name)!.at(-1)!, { fixedP50: fixed.p50, fixedP99: fixed.p99 });
        console.log(`round ${r} ${p.name.slice(-48).padEnd(48)} at ${rate} req/s: p50 ${fixed.p50.toFixed(2)}  p99 ${fixed.p99.toFixed(2)} ms  max ${fixed.max.toFixed(1)} ms`);
        await sleep(300);
      }
    }
  }
  const floor = median(rows.get('bare http-proxy')!.map((x) => x.rps));
  console.log('\nmedians');
  for (const [name, xs] of rows) {
    const m = (f: (x: (typeof xs)[number]) => number) => median(xs.map(f));
    console.log(
      `${name.slice(-48).padEnd(48)} ${String(Math.round(m((x) => x.rps))).padStart(6)} req/s  x${round(m((x) => x.rps) / floor, 3).toFixed(3)} of bare  p50 ${m((x) => x.p50).toFixed(2)}  p99 ${m((x) => x.p99).toFixed(2)} ms  ${m((x) => x.cpu).toFixed(0)} µs CPU/req${rate ? `  at ${rate}/s p50 ${m((x) => x.fixedP50!).toFixed(2)} p99 ${m((x) => x.fixedP99!).toFixed(2)} ms` : ''}`,
    );
  }
} finally {
  for (const t of started.reverse()) await t.stop().catch(() => {});
  await redis?.stop();
}

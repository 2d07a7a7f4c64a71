/**
 * CPU profile of the BFF proxy hot path: the BFF target runs under
 * `node --cpu-prof` (profiles in bench/results/profiles/), gets a signed-in
 * session, is loaded with autocannon, and stops (the profile is written on
 * exit). Only the samples taken during the measured load count; they are
 * summarised as the top self-time functions, time per package/area, and
 * inclusive time of the BFF's own functions and the libraries on the path.
 *
 *   bash .ci/pnpm.sh --filter @portcullis/bench run bench:profile [--target=bff-memory|bff-redis|bare|serve] [--duration=S] [--top=N] [--interval=µs]
 *   bash .ci/pnpm.sh --filter @portcullis/bench run bench:profile --analyze=results/profiles/<run>/<file>.cpuprofile   (summarise an existing profile)
 *   bash .ci/pnpm.sh --filter @portcullis/bench run bench:profile --analyze=FILE --callers=writeLatin1String     (who calls a function, by self time)
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startTarget, type Target } from './lib/child.ts';
import { callersOf, summarizeProfile, type ProfileSummary } from './lib/cpuprofile.ts';
import { load } from './lib/load.ts';
import { signIn } from './lib/login.ts';
import { startBenchRedis, type BenchRedis } from './lib/redis.ts';

const flag = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const PROFILE_DIR = fileURLToPath(new URL('./results/profiles/', import.meta.url));
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

export async function profileTarget(kind: string, durationS: number, intervalUs: number): Promise<{ file: string; window: { from: number; to: number }; rps: number }> {
  await mkdir(PROFILE_DIR, { recursive: true });
  const started: Target[] = [];
  let redis: BenchRedis | undefined;
  try {
    const upstream = await startTarget('upstream', 'upstream.ts');
    started.push(upstream);
    const env: Record<string, string> = { BENCH_UPSTREAM: upstream.url };
    if (kind === 'bff-redis') {
      redis = await startBenchRedis();
      if (!redis) throw new Error('redis-server is not installed');
      env['BENCH_REDIS_URL'] = redis.url;
    }
    // One directory per run: node writes one profile per thread (tsx's loader thread too); the main thread's is the largest.
    const dir = `${PROFILE_DIR}${kind}-${new Date().toISOString().replace(/[:.]/g, '-')}/`;
    await mkdir(dir, { recursive: true });
    const file = kind === 'bare' ? 'bare-proxy.ts' : kind === 'serve' ? 'serve.ts' : 'bff.ts';
    const target = await startTarget(kind, file, {
      env: { ...env, BENCH_STORE: kind === 'bff-redis' ? 'redis' : 'memory' },
      nodeFlags: ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', String(intervalUs)],
    });
    started.push(target);
    const path = kind === 'bare' ? '/data' : '/api/bench';
    const session = kind === 'bare' ? undefined : await signIn(target.url);
    const headers = { 'x-csrf': '1', ...(session ? { cookie: session.cookie } : {}) };
    console.log(`profile: ${kind} (pid ${target.child.pid}), warm-up 3 s, then ${durationS} s of load (-c 50), sampling every ${intervalUs} µs`);
    await load({ url: target.url + path, connections: 50, durationS: 3, headers });
    const from = nowUs();
    const result = await load({ url: target.url + path, connections: 50, durationS, headers });
    const to = nowUs();
    if (result.non2xx || result.errors) throw new Error(`${result.non2xx} non-2xx and ${result.errors} errors during the load`);
    await target.stop();
    const files = await Promise.all((await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).map(async (f) => ({ f: dir + f, size: (await stat(dir + f)).size })));
    const main = files.sort((a, b) => b.size - a.size)[0];
    if (!main) throw new Error(`no .cpuprofile in ${dir}`);
    return { file: main.f, window: { from, to }, rps: result.rps };
  } finally {
    for (const target of started.reverse()) await target.stop().catch(() => {});
    await redis?.stop();
  }
}

export function printSummary(summary: ProfileSummary, top: number): void {
  const pct = (n: number) => `${n.toFixed(1).padStart(5)}%`;
  console.log(`\n${summary.file}\nwindow ${summary.windowMs} ms, busy (non-idle) ${summary.busyMs} ms, ${summary.samples} samples; percentages are of busy time\n`);
  console.log(`Top ${top} functions by self time`);
  for (const row of summary.self.slice(0, top)) console.log(`${pct(row.pct)} ${row.ms.toFixed(0).padStart(6)} ms  ${row.name.slice(0, 38).padEnd(38)} ${row.where.slice(-70)}`);
  console.log('\nSelf time by package / area');
  for (const row of summary.areas.slice(0, 20)) console.log(`${pct(row.pct)} ${row.ms.toFixed(0).padStart(6)} ms  ${row.area}`);
  console.log("\nInclusive time: the BFF's own functions and session/crypto/proxy libraries");
  const interesting = /@portcullis|koa-session|^jose$|^crc$|http-proxy|^cookies$|^koa$|koa-compose|@koa\/router|ioredis|keygrip/;
  for (const row of summary.inclusive.filter((r) => interesting.test(r.area)).slice(0, 40)) {
    console.log(`${pct(row.pct)} ${row.ms.toFixed(0).padStart(6)} ms  ${row.name.slice(0, 38).padEnd(38)} ${row.where.slice(-70)}`);
  }
}

async function main(): Promise<void> {
  const top = Number(flag('top') ?? 25);
  const analyze = flag('analyze');
  let summary: ProfileSummary;
  const callers = flag('callers');
  if (analyze && callers) {
    for (const row of (await callersOf(analyze, callers, Number(flag('depth') ?? 4))).slice(0, 15)) console.log(`${row.ms.toFixed(0).padStart(6)} ms  ${row.chain}`);
    return;
  }
  if (analyze) {
    summary = await summarizeProfile(analyze, undefined, top);
  } else {
    const kind = flag('target') ?? 'bff-memory';
    if (!['bff-memory', 'bff-redis', 'bare', 'serve'].includes(kind)) throw new Error('--target must be bff-memory, bff-redis, bare or serve');
    const { file, window, rps } = await profileTarget(kind, Number(flag('duration') ?? 15), Number(flag('interval') ?? 250));
    console.log(`load: ${Math.round(rps)} req/s while profiled`);
    summary = await summarizeProfile(file, window, top);
    if (summary.samples === 0) {
      console.log('(no sample inside the load window: clocks differ; summarising the whole profile)');
      summary = await summarizeProfile(file, undefined, top);
    }
    const summaryFile = fileURLToPath(new URL(`./results/profile-${kind}.json`, import.meta.url));
    await writeFile(summaryFile, `${JSON.stringify({ date: new Date().toISOString(), target: kind, rps, ...summary }, null, 2)}\n`);
    console.log(`summary written to ${summaryFile}`);
  }
  printSummary(summary, top);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

/**
 * `npm run bench` — runs the benchmarks (all, or the sections named on the
 * command line), prints tables, writes bench/results/latest.json (machine,
 * settings, every raw round) and renders docs/bench.svg.
 *
 *   npm run bench                       # everything, ~4-5 minutes
 *   npm run bench -- --quick            # ~1-minute smoke run (writes results/quick.json + quick.svg only)
 *   npm run bench -- proxy bundle       # some sections (merged into latest.json)
 *   npm run bench -- proxy --rounds=5 --duration=15
 *   npm run bench -- --chart            # only re-render docs/bench.svg from results/latest.json (with --quick: quick.*)
 *
 * Sections: proxy (proxy.ts), sessions (sessions.ts), refresh (refresh.ts), bundle (bundle.ts),
 * dpop (dpop.ts: what a DPoP proof and a client assertion cost).
 * The CPU profile of the BFF proxy is separate: profile.ts (pnpm script `bench:profile`).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { runBundle, type BundleResult } from './bundle.ts';
import { printDpop, runDpop, type DpopResult } from './dpop.ts';
import { renderChart } from './chart.ts';
import { machineInfo, type MachineInfo } from './lib/machine.ts';
import { parseCli, type Section, type Settings } from './lib/settings.ts';
import { runProxy, type Goal, type ProxyResult } from './proxy.ts';
import { runRefresh, type RefreshResult } from './refresh.ts';
import { runSessions, type SessionsResult } from './sessions.ts';

interface Results {
  date: string;
  machine: MachineInfo;
  /** How the sections in this file were produced (latest run first). */
  runs: Array<{ date: string; sections: Section[]; settings: Settings; seconds: number }>;
  proxy?: ProxyResult & { machine: MachineInfo };
  sessions?: SessionsResult & { machine: MachineInfo };
  refresh?: RefreshResult & { machine: MachineInfo };
  bundle?: BundleResult & { machine: MachineInfo };
  dpop?: DpopResult & { machine: MachineInfo };
}

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const CHART = fileURLToPath(new URL('../docs/bench.svg', import.meta.url));

const pad = (s: string | number, n: number) => String(s).padStart(n);
const padEnd = (s: string | number, n: number) => String(s).padEnd(n);
const mark = (met: boolean | undefined) => (met === undefined ? '' : met ? 'met' : 'MISSED');

function printProxy(p: ProxyResult): void {
  console.log(`\nProxy (-c ${p.settings.connections}, ${p.settings.durationS} s x ${p.settings.rounds} interleaved rounds; medians)`);
  console.log(
    `${padEnd('target', 26)}${pad('req/s', 9)}${pad('p50 ms', 9)}${pad('p90 ms', 9)}${pad('p99 ms', 9)}${pad('CPU µs/req', 12)}${pad(`@${p.settings.rate}/s p50`, 13)}${pad('p99', 8)}   req/s per round`,
  );
  for (const t of p.targets) {
    if (!t.median) {
      console.log(`${padEnd(t.label, 26)}skipped: ${t.skipped ?? 'no data'}`);
      continue;
    }
    const m = t.median;
    console.log(
      `${padEnd(t.label, 26)}${pad(Math.round(m.rps), 9)}${pad(m.p50.toFixed(2), 9)}${pad(m.p90.toFixed(2), 9)}${pad(m.p99.toFixed(2), 9)}${pad(m.cpuUsPerRequest.toFixed(0), 12)}${pad(m.fixedP50?.toFixed(2) ?? '-', 13)}${pad(m.fixedP99?.toFixed(2) ?? '-', 8)}   ${t.rounds.map((r) => Math.round(r.rps)).join(' / ')}`,
    );
  }
  const g = p.goals;
  const line = (name: string, value: Goal | undefined, shown: (v: number) => string, goalText: string, info = false): void => {
    if (value) console.log(`${padEnd(name, 34)}${pad(shown(value.value), 10)}  goal ${padEnd(goalText, 9)} ${info ? `(info: ${value.met ? 'would meet' : 'would miss'})` : mark(value.met)}`);
  };
  const ratio = (v: number) => v.toFixed(3);
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  line('req/s (3)/(2) fast, memory', g.memoryRatio, ratio, '>= 0.90');
  line('req/s (4)/(2) fast, Redis', g.redisRatio, ratio, '>= 0.85');
  line('CPU/req (3)/(2) fast, memory', g.memoryCpuRatio, ratio, '<= 1.15');
  line('CPU/req (4)/(2) fast, Redis', g.redisCpuRatio, ratio, '<= 1.15', true);
  line(`p99 (3)-(2) at ${p.settings.rate} req/s`, g.memoryFixedP99OverheadMs, ms, '<= 1 ms');
  line(`p99 (4)-(2) at ${p.settings.rate} req/s`, g.redisFixedP99OverheadMs, ms, '<= 1 ms');
  line(`p99 (3)-(2) at -c ${p.settings.connections}`, g.memoryP99OverheadMs, ms, '<= 1 ms', true);
  line('req/s (5)/(2) Koa route, memory', g.koaRouteRatio, ratio, '>= 0.90', true);
  line('req/s (6)/(2) Koa floor', g.koaFloorRatio, ratio, '>= 0.90', true);
  line('req/s (7)/(2) serve, memory', g.serveRatio, ratio, '>= 0.90');
  line('CPU/req (7)/(2) serve, memory', g.serveCpuRatio, ratio, '<= 1.15');
  line(`p99 (7)-(2) at ${p.settings.rate} req/s`, g.serveFixedP99OverheadMs, ms, '<= 1 ms');
}

function printSessions(s: SessionsResult): void {
  console.log('\nSessions (real tokens from the demo provider)');
  for (const store of s.stores) {
    if (store.skipped || !store.jsonBytes) {
      console.log(`${padEnd(store.store, 8)}skipped: ${store.skipped}`);
      continue;
    }
    const bytes = `${store.jsonBytes.median} B stored JSON (${store.jsonBytes.min}-${store.jsonBytes.max}; goal <= ${s.goalBytes}: ${mark(store.jsonBytes.max <= s.goalBytes)})`;
    const extra = store.redis
      ? `STRLEN ${store.redis.strlen} B, MEMORY USAGE ${store.redis.memoryUsage} B + sid index ${store.redis.sidIndexMemoryUsage} B, used_memory +${store.redis.usedMemoryDeltaPerSession} B/login`
      : `V8 heap ${store.heapBytesPerRecord} B/record`;
    console.log(`${padEnd(store.store, 8)}${bytes}; ${extra}`);
    console.log(
      `${padEnd('', 8)}repository.get median ${store.repositoryGet!.median} µs (p99 ${store.repositoryGet!.p99}); store.get alone ${store.storeGet!.median} µs (p99 ${store.storeGet!.p99}); ${store.sessions} sessions, ${store.repositoryGet!.iterations} lookups`,
    );
  }
  const t = s.stores[0]?.tokenBytes;
  if (t) console.log(`tokens: access ${t.accessToken} B, refresh ${t.refreshToken} B, ID ${t.idToken} B; as JSON ${t.clear} B, as JWE ${t.jwe} B`);
}

function printRefresh(r: RefreshResult): void {
  console.log(`\nRefresh (${r.calls} concurrent calls with an expired access token; medians over rounds)`);
  console.log(
    `${padEnd('configuration', 28)}${padEnd('grants per round', 20)}${pad('1 call', 8)}${pad('1 expired', 11)}${pad('fresh p50', 11)}${pad('expired p50', 13)}${pad('added p50', 11)}${pad('fresh max', 11)}${pad('expired max', 13)}${pad('added max', 11)}`,
  );
  for (const c of r.configs) {
    if (!c.summary) {
      console.log(`${padEnd(c.label, 28)}skipped: ${c.skipped}`);
      continue;
    }
    const s = c.summary;
    const grants = `${s.grants.join(' ')} ${s.allExactlyOne ? '(=1 met)' : '(MISSED)'}`;
    console.log(
      `${padEnd(c.label, 28)}${padEnd(grants, 20)}${pad(s.singleFresh.toFixed(1), 8)}${pad(s.singleExpired.toFixed(1), 11)}${pad(s.freshP50.toFixed(1), 11)}${pad(s.expiredP50.toFixed(1), 13)}${pad(s.addedP50.toFixed(1), 11)}${pad(s.freshMax.toFixed(1), 11)}${pad(s.expiredMax.toFixed(1), 13)}${pad(s.addedMax.toFixed(1), 11)}${s.all200 ? '' : '  (some calls failed)'}`,
    );
  }
  console.log('(ms)');
}

function printBundle(b: BundleResult): void {
  console.log(`\nBundle (esbuild ${b.esbuild}: bundle, minify, esm, react external; gzip -9)`);
  console.log(`${padEnd('package', 40)}${padEnd('version', 16)}${pad('all min', 9)}${pad('all gz', 9)}${pad('typical gz', 12)}`);
  for (const row of b.rows) console.log(`${padEnd(row.label, 40)}${padEnd(row.version, 16)}${pad(row.all.min, 9)}${pad(row.all.gzip, 9)}${pad(row.typical.gzip, 12)}`);
  const own = b.rows.find((r) => r.key === 'portcullis');
  if (own) console.log(`@portcullis/react ${own.all.gzip} B gz, goal <= ${b.goalGzipBytes} B: ${mark(own.all.gzip <= b.goalGzipBytes)}`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--chart')) {
    const quick = args.includes('--quick');
    const file = `${RESULTS_DIR}${quick ? 'quick' : 'latest'}.json`;
    const out = quick ? `${RESULTS_DIR}quick.svg` : CHART;
    await writeFile(out, renderChart(JSON.parse(await readFile(file, 'utf8')) as Results));
    console.log(`rendered ${out} from ${file}`);
    return;
  }
  const { settings, sections } = parseCli(args);
  const machine = machineInfo();
  const started = Date.now();
  console.log(`Portcullis bench: ${sections.join(', ')}${settings.quick ? ' (quick)' : ''} on ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, load avg ${machine.loadAverage1m}`);

  const resultsFile = `${RESULTS_DIR}${settings.quick ? 'quick' : 'latest'}.json`;
  // Sections not run now keep their previous results (each section carries its own date and machine).
  const previous: Partial<Results> = existsSync(resultsFile) ? (JSON.parse(await readFile(resultsFile, 'utf8')) as Partial<Results>) : {};
  const results: Results = { ...previous, date: new Date().toISOString(), machine, runs: previous.runs ?? [] };

  for (const section of sections) {
    const t0 = Date.now();
    if (section === 'proxy') results.proxy = { ...(await runProxy(settings)), machine };
    if (section === 'sessions') results.sessions = { ...(await runSessions(settings)), machine };
    if (section === 'refresh') results.refresh = { ...(await runRefresh(settings)), machine };
    if (section === 'bundle') results.bundle = { ...(await runBundle()), machine };
    if (section === 'dpop') results.dpop = { ...(await runDpop(settings.quick ? { rounds: 1, iterations: 500 } : {})), machine };
    console.log(`  ${section} took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }

  if (results.proxy) printProxy(results.proxy);
  if (results.sessions) printSessions(results.sessions);
  if (results.refresh) printRefresh(results.refresh);
  if (results.bundle) printBundle(results.bundle);
  if (results.dpop) printDpop(results.dpop);

  const seconds = Math.round((Date.now() - started) / 1000);
  results.runs = [{ date: results.date, sections, settings, seconds }, ...results.runs].slice(0, 10);
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  const svg = renderChart(results);
  const chartFile = settings.quick ? `${RESULTS_DIR}quick.svg` : CHART;
  await mkdir(fileURLToPath(new URL('.', `file://${chartFile}`)), { recursive: true });
  await writeFile(chartFile, svg);
  console.log(`\nwrote ${resultsFile} and ${chartFile} (${seconds} s)`);
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});

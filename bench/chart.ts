/**
 * The README chart, as hand-written SVG (no chart library): proxy
 * throughput per round as grouped bars, p50/p99 latency per target, the
 * goals as ratios, bundle sizes against the 2 kB budget, and one line each
 * for session size, lookup time and refresh grants.
 */
import type { BundleResult } from './bundle.ts';
import type { MachineInfo } from './lib/machine.ts';
import type { ProxyResult, ProxyTargetKey } from './proxy.ts';
import type { RefreshResult } from './refresh.ts';
import type { SessionsResult } from './sessions.ts';

export interface ChartInput {
  date: string;
  machine: MachineInfo;
  proxy?: ProxyResult;
  sessions?: SessionsResult;
  refresh?: RefreshResult;
  bundle?: BundleResult;
}

const COLORS: Record<ProxyTargetKey, string> = { upstream: '#9aa5b1', bare: '#3e6fb0', 'bff-memory': '#2f9e6e', 'bff-redis': '#d9822b', 'bff-koa': '#8e6cc0', koa: '#c9a227', serve: '#1b8a9a' };
const SHORT: Record<ProxyTargetKey, string> = {
  upstream: '(1) upstream',
  bare: '(2) bare http-proxy',
  'bff-memory': '(3) BFF fast + memory',
  'bff-redis': '(4) BFF fast + Redis',
  'bff-koa': '(5) BFF Koa route',
  koa: '(6) Koa + http-proxy',
  serve: '(7) portcullis serve',
};
const OK = '#2f9e6e';
const MISS = '#c0392b';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** A "nice" axis maximum and step for `value`. */
function niceScale(value: number, ticks = 5): { max: number; step: number } {
  const raw = value / ticks;
  const pow = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  return { max: Math.ceil(value / step) * step, step };
}

class Svg {
  parts: string[] = [];
  text(x: number, y: number, s: string, attrs = ''): void {
    this.parts.push(`<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`);
  }
  rect(x: number, y: number, w: number, h: number, fill: string, attrs = ''): void {
    this.parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0, w).toFixed(1)}" height="${Math.max(0, h).toFixed(1)}" fill="${fill}" ${attrs}/>`);
  }
  line(x1: number, y1: number, x2: number, y2: number, stroke: string, attrs = ''): void {
    this.parts.push(`<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" stroke="${stroke}" ${attrs}/>`);
  }
}

function proxyThroughput(svg: Svg, proxy: ProxyResult, x0: number, y0: number, w: number, h: number): void {
  svg.text(x0, y0 - 22, 'Proxy throughput, req/s (higher is better) — each round runs (1)→(7) in turn', 'class="h"');
  const targets = proxy.targets.filter((t) => t.median);
  const rounds = Math.max(...targets.map((t) => t.rounds.length));
  const groups = [...Array.from({ length: rounds }, (_, i) => `round ${i + 1}`), 'median'];
  // Scale to the proxies: the upstream alone is several times faster and is clipped (its value is printed).
  const proxies = targets.filter((t) => t.key !== 'upstream');
  const top = Math.max(...(proxies.length ? proxies : targets).flatMap((t) => t.rounds.map((r) => r.rps)));
  const { max, step } = niceScale(top * 1.1);
  const plotX = x0 + 46;
  const plotW = w - 46;
  const y = (v: number) => y0 + h - (v / max) * h;
  for (let v = 0; v <= max; v += step) {
    svg.line(plotX, y(v), plotX + plotW, y(v), '#e3e7eb');
    svg.text(plotX - 6, y(v) + 4, fmt(v), 'class="t" text-anchor="end"');
  }
  const groupW = plotW / groups.length;
  const barW = Math.min(26, (groupW - 16) / targets.length);
  groups.forEach((label, g) => {
    const gx = plotX + g * groupW + (groupW - barW * targets.length) / 2;
    let lastLabelY = Number.POSITIVE_INFINITY;
    targets.forEach((t, i) => {
      const value = label === 'median' ? t.median!.rps : t.rounds[g]?.rps;
      if (value === undefined) return;
      const bx = gx + i * barW;
      const clipped = value > max;
      const shown = clipped ? max : value;
      svg.rect(bx + 1, y(shown), barW - 2, y(0) - y(shown), COLORS[t.key], label === 'median' ? '' : 'opacity="0.55"');
      if (clipped) {
        // A break mark: the bar goes on beyond the axis.
        svg.rect(bx - 1, y(max) + 10, barW + 2, 4, '#ffffff');
        svg.line(bx - 2, y(max) + 11, bx + barW + 2, y(max) + 7, '#8a949e');
        svg.line(bx - 2, y(max) + 16, bx + barW + 2, y(max) + 12, '#8a949e');
        svg.text(bx + barW / 2, y(max) - 4, fmt(value), `class="v s" text-anchor="middle"`);
      } else if (label === 'median') {
        // Neighbouring bars of similar height: lift this label above the previous one.
        let ly = y(value) - 4;
        if (Math.abs(ly - lastLabelY) < 12) ly = lastLabelY - 12;
        lastLabelY = ly;
        svg.text(bx + barW / 2, ly, fmt(value), 'class="v s" text-anchor="middle"');
      }
    });
    svg.text(plotX + g * groupW + groupW / 2, y0 + h + 16, label, `class="t${label === 'median' ? ' b' : ''}" text-anchor="middle"`);
  });
  svg.line(plotX, y(0), plotX + plotW, y(0), '#8a949e');
  // Legend, wrapped to the plot's width
  let lx = x0;
  let ly = y0 + h + 28;
  for (const t of proxy.targets) {
    const label = `${SHORT[t.key]}${t.skipped ? ' (skipped)' : ''}`;
    const width = label.length * 6.4 + 34;
    if (lx > x0 && lx + width - 20 > x0 + w) {
      lx = x0;
      ly += 16;
    }
    svg.rect(lx, ly, 11, 11, t.skipped ? '#ffffff' : COLORS[t.key], t.skipped ? 'stroke="#9aa5b1"' : '');
    svg.text(lx + 15, ly + 10, label, 'class="t"');
    lx += width;
  }
}

function proxyLatency(svg: Svg, proxy: ProxyResult, x0: number, y0: number, w: number, h: number): void {
  svg.text(x0, y0 - 22, `Latency, ms (median of rounds)`, 'class="h"');
  const targets = proxy.targets.filter((t) => t.median);
  const top = Math.max(...targets.map((t) => Math.max(t.median!.p99, t.median!.fixedP99 ?? 0)));
  const { max, step } = niceScale(top, 4);
  const plotX = x0 + 34;
  const plotW = w - 34;
  const y = (v: number) => y0 + h - (v / max) * h;
  for (let v = 0; v <= max; v += step) {
    svg.line(plotX, y(v), plotX + plotW, y(v), '#e3e7eb');
    svg.text(plotX - 5, y(v) + 4, fmt(v, step < 1 ? 1 : 0), 'class="t" text-anchor="end"');
  }
  const groupW = plotW / targets.length;
  const bars = (t: (typeof targets)[number]) =>
    [
      ['p50', t.median!.p50, 'opacity="0.55"'],
      ['p99', t.median!.p99, ''],
      ...(t.median!.fixedP99 !== undefined ? [['fixed', t.median!.fixedP99, `fill-opacity="0.15" stroke="${COLORS[t.key]}" stroke-width="1.5"`] as const] : []),
    ] as const;
  const perGroup = bars(targets[0]!).length;
  const barW = Math.min(22, (groupW - 8) / perGroup);
  targets.forEach((t, g) => {
    const gx = plotX + g * groupW + (groupW - perGroup * barW) / 2;
    bars(t).forEach(([kind, value, attrs], i) => {
      svg.rect(gx + i * barW + 1, y(value), barW - 2, y(0) - y(value), COLORS[t.key], attrs);
      if (kind !== 'p50') svg.text(gx + i * barW + barW / 2, y(value) - 3, fmt(value, value < 10 ? 1 : 0), 'class="s" text-anchor="middle"');
    });
    svg.text(plotX + g * groupW + groupW / 2, y0 + h + 16, `(${g + 1})`, 'class="t" text-anchor="middle"');
  });
  const floor = proxy.targets.find((t) => t.key === 'bare')?.median;
  if (floor) {
    const goal = floor.p99 + 1;
    svg.line(plotX, y(goal), plotX + plotW, y(goal), MISS, 'stroke-dasharray="4 3"');
  }
  svg.line(plotX, y(0), plotX + plotW, y(0), '#8a949e');
  svg.text(x0, y0 + h + 32, `light: p50, solid: p99, both at -c ${proxy.settings.connections}; outline: p99 at a fixed ${fmt(proxy.settings.rate ?? 0)} req/s`, 'class="t"');
  svg.text(x0, y0 + h + 46, 'dashed: p99 goal at -c 50 = p99 of (2) + 1 ms', `class="t" fill="${MISS}"`);
}

function goals(svg: Svg, proxy: ProxyResult, x0: number, y0: number): void {
  const rows: Array<[string, { value: number; goal: number; kind: 'min' | 'max'; met: boolean } | undefined, (v: number) => string, string]> = [
    ['req/s (3) ÷ (2)', proxy.goals.memoryRatio, (v) => v.toFixed(2), '≥ 0.90'],
    ['req/s (4) ÷ (2)', proxy.goals.redisRatio, (v) => v.toFixed(2), '≥ 0.85'],
    ['CPU/req (3) ÷ (2)', proxy.goals.memoryCpuRatio, (v) => v.toFixed(2), '≤ 1.15'],
    ['CPU/req (4) ÷ (2)', proxy.goals.redisCpuRatio, (v) => v.toFixed(2), '(info)'],
    [`p99 (3) − (2), ${fmt(proxy.settings.rate ?? 0)} req/s`, proxy.goals.memoryFixedP99OverheadMs, (v) => `${v.toFixed(2)} ms`, '≤ 1 ms'],
    [`p99 (4) − (2), ${fmt(proxy.settings.rate ?? 0)} req/s`, proxy.goals.redisFixedP99OverheadMs, (v) => `${v.toFixed(2)} ms`, '≤ 1 ms'],
    ['p99 (3) − (2), -c 50', proxy.goals.memoryP99OverheadMs, (v) => `${v.toFixed(2)} ms`, '(info)'],
    ['req/s (5) ÷ (2), Koa route', proxy.goals.koaRouteRatio, (v) => v.toFixed(2), '(info)'],
    ['req/s (6) ÷ (2), Koa floor', proxy.goals.koaFloorRatio, (v) => v.toFixed(2), '(info)'],
    ['req/s (7) ÷ (2), serve', proxy.goals.serveRatio, (v) => v.toFixed(2), '≥ 0.90'],
    ['CPU/req (7) ÷ (2), serve', proxy.goals.serveCpuRatio, (v) => v.toFixed(2), '≤ 1.15'],
    [`p99 (7) − (2), ${fmt(proxy.settings.rate ?? 0)} req/s`, proxy.goals.serveFixedP99OverheadMs, (v) => `${v.toFixed(2)} ms`, '≤ 1 ms'],
  ];
  svg.text(x0, y0, 'Goals ((2) = bare http-proxy)', 'class="h"');
  rows.forEach(([label, goal, show, target], i) => {
    const y = y0 + 20 + i * 17;
    svg.text(x0, y, label, 'class="t"');
    if (!goal) {
      svg.text(x0 + 165, y, 'skipped', 'class="t"');
      return;
    }
    const info = target === '(info)';
    svg.text(x0 + 165, y, show(goal.value), `class="v" fill="${info ? '#24292f' : goal.met ? OK : MISS}"`);
    svg.text(x0 + 240, y, info ? '' : `goal ${target} ${goal.met ? '✓' : '✗'}`, `class="t" fill="${goal.met ? OK : MISS}"`);
  });
}

function bundles(svg: Svg, bundle: BundleResult, x0: number, y0: number, w: number): void {
  svg.text(x0, y0 - 10, 'React bundle, min+gzip -9 of the whole package (react external)', 'class="h"');
  const labelW = 250;
  const plotW = w - labelW - 70;
  const max = Math.max(...bundle.rows.map((r) => r.all.gzip));
  const x = (v: number) => x0 + labelW + (v / max) * plotW;
  bundle.rows.forEach((row, i) => {
    const y = y0 + i * 26;
    svg.text(x0, y + 14, row.label, 'class="t"');
    const color = row.key === 'portcullis' ? OK : '#9aa5b1';
    svg.rect(x0 + labelW, y + 3, x(row.all.gzip) - x0 - labelW, 16, color);
    svg.text(x(row.all.gzip) + 6, y + 15, `${(row.all.gzip / 1024).toFixed(2)} kB`, 'class="v"');
  });
  const gx = x(bundle.goalGzipBytes);
  svg.line(gx, y0 - 2, gx, y0 + bundle.rows.length * 26, MISS, 'stroke-dasharray="4 3"');
  svg.text(gx + 4, y0 + bundle.rows.length * 26 + 10, '2 kB budget', `class="t" fill="${MISS}"`);
}

function facts(svg: Svg, input: ChartInput, x0: number, y0: number): number {
  const lines: string[] = [];
  const mem = input.sessions?.stores.find((s) => s.store === 'memory');
  const red = input.sessions?.stores.find((s) => s.store === 'redis');
  if (mem?.jsonBytes) {
    lines.push(
      `Session record: ${fmt(mem.jsonBytes.median)} B stored JSON (goal ≤ 4,096 B)` +
        (red?.redis ? `, Redis MEMORY USAGE ${fmt(red.redis.memoryUsage)} B + sid index ${fmt(red.redis.sidIndexMemoryUsage)} B` : '') +
        (mem.heapBytesPerRecord ? `, memory store heap ${fmt(mem.heapBytesPerRecord)} B` : ''),
    );
    lines.push(
      `Session lookup (repository.get, median): memory ${mem.repositoryGet!.median.toFixed(1)} µs (store.get alone ${mem.storeGet!.median.toFixed(1)} µs)` +
        (red?.repositoryGet ? `, Redis ${red.repositoryGet.median.toFixed(1)} µs (store.get alone ${red.storeGet!.median.toFixed(1)} µs)` : ''),
    );
  }
  if (input.refresh) {
    const signed = (n: number) => `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(1)}`;
    lines.push(`Refresh: ${input.refresh.calls} concurrent calls of one session whose access token expired (goal: exactly 1 refresh grant per burst)`);
    for (const c of input.refresh.configs) {
      if (!c.summary) {
        lines.push(`    ${c.label}: skipped`);
        continue;
      }
      const s = c.summary;
      lines.push(
        `    ${c.label}: grants ${s.grants.join(', ')} ${s.allExactlyOne ? '✓' : '✗'} · p50 ${s.expiredP50.toFixed(0)} ms vs ${s.freshP50.toFixed(0)} ms fresh (${signed(s.addedP50)}) · one call alone ${s.singleExpired.toFixed(1)} ms vs ${s.singleFresh.toFixed(1)} ms`,
      );
    }
  }
  lines.forEach((line, i) => {
    const indent = /^ */.exec(line)![0].length;
    svg.text(x0 + indent * 4, y0 + i * 18, line.trimStart(), 'class="t"');
  });
  return lines.length * 18;
}

export function renderChart(input: ChartInput): string {
  const W = 980;
  const svg = new Svg();
  const m = input.machine;
  svg.text(24, 30, 'Portcullis benchmarks', 'class="title"');
  svg.text(24, 50, `${input.date.slice(0, 10)} · ${m.cpuModel} · ${m.cores} cores · ${m.memoryGiB} GiB · Node ${m.node} · load avg ${m.loadAverage1m} at start · npm run bench`, 'class="t"');
  let y = 90;
  if (input.proxy) {
    const p = input.proxy;
    svg.text(
      24,
      y - 22,
      `API proxy: 1 KiB JSON upstream on loopback, autocannon -c ${p.settings.connections}, ${p.settings.durationS} s × ${p.settings.rounds} interleaved rounds, every target in its own process`,
      'class="t"',
    );
    proxyThroughput(svg, p, 24, y + 26, 540, 210);
    proxyLatency(svg, p, 610, y + 26, 346, 110);
    goals(svg, p, 610, y + 208);
    y += 445;
  }
  if (input.bundle) {
    bundles(svg, input.bundle, 24, y, W - 48);
    y += input.bundle.rows.length * 26 + 40;
  }
  y += facts(svg, input, 24, y) + 10;
  const H = Math.ceil(y);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="Portcullis benchmark results">
<style>
text { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Helvetica, Arial, sans-serif; }
.title { font-size: 20px; font-weight: 600; }
.h { font-size: 13px; font-weight: 600; }
.t { font-size: 11px; }
.b { font-weight: 600; }
.v { font-size: 11px; font-weight: 600; }
.s { font-size: 10px; }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
<g fill="#24292f">
${svg.parts.join('\n')}
</g>
</svg>
`;
}

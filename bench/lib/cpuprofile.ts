/**
 * Reads a V8 `.cpuprofile` (node --cpu-prof) and aggregates where the time
 * went: self time per function (+ script and line), self time per package
 * or source area, and inclusive time per function (each sample counted once
 * per function on its stack).
 */
import { readFile } from 'node:fs/promises';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Row {
  name: string;
  where: string;
  area: string;
  ms: number;
  /** Share of the busy (non-idle) time in the window, percent. */
  pct: number;
}

/** Who calls `functionName` (self time of that function, split by the caller chain up to `depth` frames). */
export async function callersOf(file: string, functionName: string, depth = 3, window?: { from: number; to: number }): Promise<Array<{ chain: string; ms: number }>> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const chains = new Map<string, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (window && (t < window.from || t > window.to)) continue;
    const node = byId.get(profile.samples[i]!)!;
    if (node.callFrame.functionName !== functionName) continue;
    const names: string[] = [];
    for (let id = parent.get(node.id); id !== undefined && names.length < depth; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      names.push(`${f.functionName || '(anonymous)'}${f.url ? ` (${shortUrl(f.url).split('/').slice(-2).join('/')}:${f.lineNumber + 1})` : ''}`);
    }
    const chain = names.join(' < ');
    chains.set(chain, (chains.get(chain) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  return [...chains.entries()].sort((a, b) => b[1] - a[1]).map(([chain, us]) => ({ chain, ms: Math.round(us / 100) / 10 }));
}

export interface ProfileSummary {
  file: string;
  /** Sampled window, ms (the load phase when a window was given). */
  windowMs: number;
  /** Non-idle time in the window, ms. */
  busyMs: number;
  samples: number;
  self: Row[];
  areas: Array<{ area: string; ms: number; pct: number }>;
  inclusive: Row[];
}

/** Where a script belongs: an npm package, node's internals, the BFF's own files, V8 pseudo-frames. */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native/builtin)';
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg && !url.includes('/packages/')) return pkg[1]!;
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) {
    const m = /^node:(?:internal\/)?([^/]+(?:\/[^/]+)?)/.exec(url);
    return `node:${m ? m[1] : url.slice(5)}`;
  }
  const own = /\/packages\/([^/]+)\/src\/(.+)$/.exec(url);
  if (own) return `@portcullis/${own[1]}: ${own[2]}`;
  const local = /\/(bench|demo|test)\/(.+)$/.exec(url);
  if (local) return `${local[1]}/${local[2]}`;
  return url;
}

const shortUrl = (url: string): string =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')
    .replace(/^.*\/work\/main\//, '');

/**
 * @param window - only samples in [from, to] (µs on the profile's monotonic clock: process.hrtime in any process of the machine)
 */
export async function summarizeProfile(file: string, window?: { from: number; to: number }, top = 25): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const keyOf = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    return `${functionName || '(anonymous)'}\u0000${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`;
  };

  const areaOfKey = new Map<string, string>();
  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let t = profile.startTime;
  let windowUs = 0;
  let busyUs = 0;
  let counted = 0;
  const inWindow = (time: number) => !window || (time >= window.from && time <= window.to);
  // Sample i lasts until sample i+1 (the last one: the mean interval).
  const meanDelta = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length);
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (!inWindow(t)) continue;
    const duration = profile.timeDeltas[i + 1] ?? meanDelta;
    const node = byId.get(profile.samples[i]!)!;
    windowUs += duration;
    counted++;
    if (node.callFrame.functionName === '(idle)') continue;
    busyUs += duration;
    const key = keyOf(node);
    self.set(key, (self.get(key) ?? 0) + duration);
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + duration);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!;
      const k = keyOf(frame);
      if (!areaOfKey.has(k)) areaOfKey.set(k, areaOf(frame.callFrame.url, frame.callFrame.functionName));
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + duration);
    }
  }
  const rows = (map: Map<string, number>, n: number): Row[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([key, us]) => {
        const [name, where] = key.split('\u0000') as [string, string];
        return { name, where, area: areaOfKey.get(key) ?? '', ms: Math.round(us / 100) / 10, pct: Math.round((us / busyUs) * 1000) / 10 };
      });
  return {
    file,
    windowMs: Math.round(windowUs / 1000),
    busyMs: Math.round(busyUs / 1000),
    samples: counted,
    self: rows(self, top),
    areas: [...areas.entries()].sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, ms: Math.round(us / 100) / 10, pct: Math.round((us / busyUs) * 1000) / 10 })),
    inclusive: rows(inclusive, 400).filter((r) => r.name !== '(root)'),
  };
}

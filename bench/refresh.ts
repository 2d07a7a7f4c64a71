/**
 * Refresh under concurrency: 100 concurrent proxied calls of one session
 * whose access token has expired must cause exactly one refresh grant at the
 * provider, with one instance and with two instances sharing Redis (calls
 * alternate between the instances). The added latency is the p50/max of
 * those 100 calls against the same 100 calls with a fresh token. The route
 * goes to the 1 KiB loopback upstream (not the demo todo API), so that the
 * numbers are the BFF's and the provider's.
 */
import { RedisSessionStore, silentLogger, type SessionStore } from '@portcullis/bff';
import { startDemoStack } from '@portcullis/demo/stack';
import { BffClient } from '../test/helpers/bff-client.ts';
import { expireAccessToken } from '../test/helpers/sessions.ts';
import { redisMissing, startBenchRedis, type BenchRedis } from './lib/redis.ts';
import { startUpstream } from './lib/upstream.ts';
import type { Settings } from './lib/settings.ts';
import { median, percentiles, round } from './lib/stats.ts';

const CALLS = 100;

export interface Burst {
  /** ms */
  p50: number;
  max: number;
  statuses: Record<string, number>;
}

export interface RefreshRound {
  round: number;
  /** One call alone, ms: with a fresh token, then with an expired one (the refresh grant's own cost). */
  single: { fresh: number; expired: number };
  fresh: Burst;
  expired: Burst;
  /** refresh_token grants at the provider caused by the expired burst. */
  refreshGrants: number;
}

export interface RefreshConfig {
  key: 'memory-1' | 'redis-1' | 'redis-2';
  label: string;
  instances: number;
  store: 'memory' | 'redis';
  skipped?: string;
  rounds: RefreshRound[];
  /** Medians over the rounds. */
  summary?: {
    singleFresh: number;
    singleExpired: number;
    freshP50: number;
    freshMax: number;
    expiredP50: number;
    expiredMax: number;
    addedP50: number;
    addedMax: number;
    grants: number[];
    allExactlyOne: boolean;
    all200: boolean;
  };
}

export interface RefreshResult {
  date: string;
  calls: number;
  configs: RefreshConfig[];
}

async function burst(tabs: BffClient[]): Promise<Burst> {
  const times: number[] = [];
  const statuses: Record<string, number> = {};
  await Promise.all(
    Array.from({ length: CALLS }, async (_, n) => {
      const started = performance.now();
      const response = await tabs[n % tabs.length]!.fetch('/api/bench');
      await response.arrayBuffer();
      times.push(performance.now() - started);
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    }),
  );
  const [p50, max] = percentiles(times, [50, 100]);
  return { p50: round(p50!, 2), max: round(max!, 2), statuses };
}

async function runConfig(config: RefreshConfig, rounds: number, redis: BenchRedis | undefined): Promise<void> {
  const store: (() => SessionStore) | undefined = config.store === 'redis' ? () => new RedisSessionStore({ url: redis!.url }) : undefined;
  const upstream = await startUpstream();
  const stack = await startDemoStack({
    logger: silentLogger,
    instances: config.instances,
    ...(store ? { store } : {}),
    bff: { apis: [{ path: '/api/bench', target: `${upstream.url}/data`, token: 'user' }] },
  });
  try {
    const tab = new BffClient(stack.baseUrl);
    await tab.login('alice');
    // Straight to each instance (as a balancer would spread them), sharing the tab's cookies.
    const tabs = config.instances > 1 ? stack.instances.map((i) => new BffClient(i.url, tab.jar)) : [tab];
    await burst(tabs); // warm-up
    const one = async () => {
      const started = performance.now();
      const response = await tab.fetch('/api/bench');
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`${config.key}: a single call answered ${response.status}`);
      return round(performance.now() - started, 2);
    };
    for (let r = 1; r <= rounds; r++) {
      const singleFresh = await one();
      await expireAccessToken(stack.bff, tab);
      const single = { fresh: singleFresh, expired: await one() };
      const fresh = await burst(tabs);
      await expireAccessToken(stack.bff, tab);
      stack.provider.resetCounts();
      const expired = await burst(tabs);
      config.rounds.push({ round: r, single, fresh, expired, refreshGrants: stack.provider.grantCounts()['refresh_token'] ?? 0 });
    }
  } finally {
    await stack.stop();
    await upstream.stop();
  }
  const m = (f: (r: RefreshRound) => number) => round(median(config.rounds.map(f)), 2);
  const grants = config.rounds.map((r) => r.refreshGrants);
  config.summary = {
    singleFresh: m((r) => r.single.fresh),
    singleExpired: m((r) => r.single.expired),
    freshP50: m((r) => r.fresh.p50),
    freshMax: m((r) => r.fresh.max),
    expiredP50: m((r) => r.expired.p50),
    expiredMax: m((r) => r.expired.max),
    addedP50: m((r) => r.expired.p50 - r.fresh.p50),
    addedMax: m((r) => r.expired.max - r.fresh.max),
    grants,
    allExactlyOne: grants.every((g) => g === 1),
    all200: config.rounds.every((r) => r.fresh.statuses['200'] === CALLS && r.expired.statuses['200'] === CALLS),
  };
}

export async function runRefresh(settings: Settings, log: (line: string) => void = console.log): Promise<RefreshResult> {
  const rounds = settings.quick ? 1 : 5;
  log(`refresh: ${CALLS} concurrent calls, ${rounds} round(s) per configuration`);
  const configs: RefreshConfig[] = [
    { key: 'memory-1', label: '1 instance, memory store', instances: 1, store: 'memory', rounds: [] },
    { key: 'redis-1', label: '1 instance, Redis store', instances: 1, store: 'redis', rounds: [] },
    { key: 'redis-2', label: '2 instances, Redis store', instances: 2, store: 'redis', rounds: [] },
  ];
  const missing = redisMissing();
  const redis = missing ? undefined : await startBenchRedis();
  try {
    for (const config of configs) {
      if (config.store === 'redis' && !redis) {
        config.skipped = missing ?? 'Redis did not start';
        continue;
      }
      await runConfig(config, rounds, redis);
    }
  } finally {
    await redis?.stop();
  }
  return { date: new Date().toISOString(), calls: CALLS, configs };
}

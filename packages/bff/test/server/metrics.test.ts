/**
 * The metrics pieces on their own: the store wrapper (same methods as the
 * inner store, optional ones only when present; timings and errors; unknown
 * methods forwarded), the memory store's gauges, the events as counters, the
 * metrics listener, and the `metrics` configuration.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySessionStore } from '../../src/session/memory-store.ts';
import type { SessionStore } from '../../src/session/store.ts';
import { ConfigError, loadConfig } from '../../src/server/config.ts';
import { instrumentStore, type StoreOperation } from '../../src/server/metrics-store.ts';
import { createServerLogger } from '../../src/server/logger.ts';
import { createServerMetrics, listenMetrics, type MetricsListener } from '../../src/server/metrics.ts';
import { startServer } from '../../src/server/serve.ts';

const listeners: MetricsListener[] = [];
const minimalStore = (): SessionStore => ({ get: async () => undefined, set: async () => {}, destroy: async () => {} });
afterAll(async () => {
  await Promise.all(listeners.map((l) => l.close()));
});

describe('instrumentStore', () => {
  it('has the optional methods only when the inner store has them', () => {
    const wrapped = instrumentStore(minimalStore(), () => {});
    for (const name of ['take', 'findIds', 'acquireLock', 'add', 'setIf', 'getNow'] as const) expect(wrapped[name], name).toBeUndefined();
    const memory = new MemorySessionStore();
    const full = instrumentStore(memory, () => {});
    for (const name of ['take', 'findIds', 'acquireLock', 'add', 'setIf', 'getNow'] as const) expect(typeof full[name], name).toBe(typeof (memory as SessionStore)[name]);
    expect(full.take).toBeTypeOf('function');
    memory.close();
  });

  it('times every operation, reports the ones that throw, and still returns or throws what the store did', async () => {
    const seen: Array<[StoreOperation, boolean]> = [];
    const memory = new MemorySessionStore();
    const store = instrumentStore(memory, (op, seconds, failed) => {
      expect(seconds).toBeGreaterThanOrEqual(0);
      seen.push([op, failed]);
    });
    await store.set('a', { v: '1' }, 60_000, { sub: 'u' });
    expect(await store.get('a')).toEqual({ v: '1' });
    expect(await store.setIf!('a', { v: '2' }, 60_000, { sub: 'u' }, '1')).toBe(true);
    expect(await store.findIds!({ sub: 'u' })).toEqual(['a']);
    expect(await store.take!('a')).toEqual({ v: '2' });
    expect(await store.add!('m', {}, 1000)).toBe(true);
    await store.destroy('m');
    // The synchronous read of the proxy's hot path counts as a get.
    await store.set('n', { v: '3' }, 60_000, { sub: 'u' });
    expect(store.getNow!('n')).toEqual({ v: '3' });
    // The memory store serialises refreshes in process: a shared store's lock, as Redis has it.
    const locking = instrumentStore({ ...minimalStore(), acquireLock: async () => ({ extend: async () => true, release: async () => {} }) }, (op, _s, failed) => seen.push([op, failed]));
    const lock = await locking.acquireLock!('l', 1000);
    expect(await lock!.extend(1000)).toBe(true);
    await lock!.release();
    expect(seen.map(([op]) => op)).toEqual(['set', 'get', 'setIf', 'findIds', 'take', 'add', 'destroy', 'set', 'get', 'acquireLock', 'lockExtend', 'lockRelease']);
    expect(seen.every(([, failed]) => !failed)).toBe(true);
    memory.close();

    const broken = instrumentStore({ get: async () => Promise.reject(new Error('redis down')), set: async () => {}, destroy: async () => {} }, (op, _s, failed) => seen.push([op, failed]));
    await expect(broken.get('x')).rejects.toThrow('redis down');
    expect(seen.at(-1)).toEqual(['get', true]);
  });

  it('forwards methods it does not know (close, ping, later additions) and survives an observer that throws', async () => {
    class Custom {
      async get() {
        return { v: 'x' };
      }
      async set() {}
      async destroy() {}
      async ping() {
        return 'PONG';
      }
      async scrub(ids: string[]) {
        return ids.length;
      }
    }
    const store = instrumentStore(new Custom(), () => {
      throw new Error('observer bug');
    }) as SessionStore & { ping(): Promise<string>; scrub(ids: string[]): Promise<number> };
    expect(await store.ping()).toBe('PONG');
    expect(await store.scrub(['a', 'b'])).toBe(2);
    expect(await store.get('a')).toEqual({ v: 'x' });
  });
});

describe('createServerMetrics and listenMetrics', () => {
  it('renders events as counters, the memory store as gauges, on its own listener (GET /metrics only)', async () => {
    const memory = new MemorySessionStore({ maxEntries: 1 });
    const metrics = createServerMetrics({ memoryStore: memory, processMetrics: false, version: '1.2.3' });
    const store = metrics.instrumentStore(memory);
    await store.set('s1', {}, 60_000, { sub: 'a' });
    await store.set('s2', {}, 60_000, { sub: 'b' }); // evicts s1 (maxEntries 1)
    metrics.events.login!({ outcome: 'failed', reason: 'invalid_state' });
    metrics.events.login!({ outcome: 'ok' });
    metrics.events.refresh!({ outcome: 'invalid_grant' });
    metrics.events.logout!({ kind: 'backchannel', sessions: 3 });
    metrics.events.proxied!({ route: '/api', status: 503, seconds: 0.2 });
    metrics.events.upstreamFailure!({ route: '/api', kind: 'timeout' });

    const listener = await listenMetrics(metrics.registry, { port: 0, host: '127.0.0.1' });
    listeners.push(listener);
    const text = await (await fetch(listener.url)).text();
    for (const line of [
      'portcullis_logins_total{outcome="failed",reason="invalid_state"} 1',
      'portcullis_logins_total{outcome="ok"} 1',
      'portcullis_refreshes_total{outcome="invalid_grant"} 1',
      'portcullis_logouts_total{kind="backchannel"} 1',
      'portcullis_logout_sessions_total{kind="backchannel"} 3',
      'portcullis_proxied_requests_total{route="/api",status_class="5xx"} 1',
      'portcullis_proxied_request_duration_seconds_bucket{le="0.25",route="/api"} 1',
      'portcullis_upstream_failures_total{route="/api",kind="timeout"} 1',
      'portcullis_memory_store_entries 1',
      'portcullis_memory_store_evictions_total{kind="session"} 1',
      'portcullis_store_operation_duration_seconds_count{operation="set"} 2',
      'portcullis_build_info{version="1.2.3"} 1',
    ]) {
      expect(text).toContain(line);
    }
    expect(text).not.toContain('process_cpu');
    // A second scrape does not count the eviction twice.
    expect(await (await fetch(listener.url)).text()).toContain('portcullis_memory_store_evictions_total{kind="session"} 1');
    expect((await fetch(listener.url.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(listener.url, { method: 'POST' })).status).toBe(405);
    memory.close();
  });

  it('names the option when the metrics port is taken', async () => {
    const first = await listenMetrics(createServerMetrics({ processMetrics: false }).registry, { port: 0, host: '127.0.0.1' });
    listeners.push(first);
    await expect(listenMetrics(createServerMetrics({ processMetrics: false }).registry, { port: first.port, host: '127.0.0.1' })).rejects.toThrow(
      `metrics port ${first.port} is already in use on 127.0.0.1: set "metrics.port" (PORTCULLIS_METRICS_PORT) to a free port`,
    );
  });
});

describe('metrics configuration', () => {
  const base = {
    PORTCULLIS_ISSUER: 'https://id.example.com',
    PORTCULLIS_CLIENT_ID: 'app',
    PORTCULLIS_CLIENT_SECRET: 's',
    PORTCULLIS_BASE_URL: 'http://localhost:3000',
    PORTCULLIS_SESSION_KEYS: 'k'.repeat(40),
  };
  const load = (env: Record<string, string>) => loadConfig({ cwd: process.cwd(), env: { ...base, ...env } });

  it('is off by default; PORTCULLIS_METRICS_PORT turns it on, on 127.0.0.1 unless PORTCULLIS_METRICS_HOST says otherwise', async () => {
    expect((await load({})).metrics).toBeUndefined();
    expect((await load({ PORTCULLIS_METRICS_PORT: '9464' })).metrics).toEqual({ port: 9464, host: '127.0.0.1' });
    expect((await load({ PORTCULLIS_METRICS_PORT: '9464', PORTCULLIS_METRICS_HOST: '0.0.0.0' })).metrics).toEqual({ port: 9464, host: '0.0.0.0' });
  });

  it('refuses the public port, a host without a port, a wrong port and unknown keys, naming the option', async () => {
    await expect(load({ PORTCULLIS_METRICS_PORT: '3000' })).rejects.toThrow(
      'option "metrics.port" must differ from "port" (3000): /metrics has its own listener and is never served on the public port (from PORTCULLIS_METRICS_PORT)',
    );
    await expect(load({ PORTCULLIS_METRICS_HOST: '0.0.0.0' })).rejects.toThrow('option "metrics.port" is required: the port of the /metrics listener (PORTCULLIS_METRICS_PORT)');
    await expect(load({ PORTCULLIS_METRICS_PORT: 'ninety' })).rejects.toThrow('PORTCULLIS_METRICS_PORT must be a whole number');
    await expect(load({ PORTCULLIS_METRICS_PORT: '70000' })).rejects.toThrow('option "metrics.port" must be at most 65535');
    const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-metrics-config-'));
    const file = path.join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ metrics: { port: 9464, hots: '0.0.0.0' } }));
    const err = await loadConfig({ cwd: dir, file, env: base }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('unknown option "metrics.hots": did you mean "metrics.host"?');
  });
});

describe('startServer with metrics', () => {
  const env = {
    PORTCULLIS_ISSUER: 'http://127.0.0.1:9',
    PORTCULLIS_CLIENT_ID: 'app',
    PORTCULLIS_CLIENT_SECRET: 's',
    PORTCULLIS_BASE_URL: 'http://localhost:3000',
    PORTCULLIS_SESSION_KEYS: 'k'.repeat(40),
  };
  const logger = createServerLogger({ level: 'silent' });

  it('closes the metrics listener with the server', async () => {
    const config = await loadConfig({ cwd: process.cwd(), env: { ...env, PORTCULLIS_PORT: '0', PORTCULLIS_METRICS_PORT: '0' } });
    const running = await startServer(config, { logger });
    expect((await fetch(running.metrics!.url)).status).toBe(200);
    await running.close();
    await expect(fetch(running.metrics!.url)).rejects.toThrow();
  });

  it('a taken metrics port fails the start, naming the option, and frees the public port', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const taken = (squatter.address() as AddressInfo).port;
    const publicPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    try {
      const config = await loadConfig({ cwd: process.cwd(), env: { ...env, PORTCULLIS_PORT: String(publicPort), PORTCULLIS_METRICS_PORT: String(taken) } });
      await expect(startServer(config, { logger })).rejects.toThrow(`metrics port ${taken} is already in use on 127.0.0.1: set "metrics.port" (PORTCULLIS_METRICS_PORT)`);
      const again = createServer();
      await new Promise<void>((resolve, reject) => again.once('error', reject).listen(publicPort, () => resolve()));
      await new Promise((resolve) => again.close(resolve));
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});

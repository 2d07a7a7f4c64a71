/**
 * Prometheus metrics of `portcullis serve` (prom-client), served by
 * {@link listenMetrics} on a listener of their own: `GET /metrics` is never
 * reachable through the public port.
 *
 * Two sources: the BFF's `events` observer (logins, refreshes, logouts,
 * proxied calls, upstream failures) and the session store the server wraps
 * ({@link instrumentStore}): operation latency and errors, and for the memory
 * store its size and evictions. No label ever carries a user, a session, a
 * token or a URL beyond the configured API route prefix, so cardinality stays
 * bounded by the configuration. The list with one line each is in DEPLOY.md.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BffEvents } from '../events.ts';
import type { SessionStore } from '../session/store.ts';
import { instrumentStore } from './metrics-store.ts';

/** What the memory store tells about itself (`MemorySessionStore`). */
export interface MemoryStoreStats {
  /** Records held: sessions and pending login states. */
  readonly size: number;
  /** Sessions dropped to stay within `maxEntries`. */
  readonly evictions: number;
  /** Login states and markers dropped to stay within their own budget. */
  readonly unindexedEvictions: number;
}

/** The metrics of one server. */
export interface ServerMetrics {
  /** The registry `/metrics` renders. */
  readonly registry: Registry;
  /** The observer to pass to `createBff` as `events`. */
  readonly events: BffEvents;
  /** The store to hand to `createBff`: `inner`, timed and counted. */
  instrumentStore(inner: SessionStore): SessionStore;
}

/** Seconds: from a cached token (a millisecond) to a slow API (half a minute). */
const PROXY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds: from memory (microseconds) to a Redis failover (seconds). */
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * Creates the metrics. `memoryStore`: the memory store, for its size and
 * evictions. `processMetrics`: prom-client's default process and Node.js
 * metrics (CPU, memory, event loop lag, GC). Default true.
 */
export function createServerMetrics(options: { memoryStore?: MemoryStoreStats; processMetrics?: boolean; version?: string } = {}): ServerMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  if (options.version) {
    new Gauge({ name: 'portcullis_build_info', help: 'Always 1; the version of @portcullis/bff as a label.', labelNames: ['version'], registers }).set({ version: options.version }, 1);
  }

  const logins = new Counter({
    name: 'portcullis_logins_total',
    help: 'Logins finished at the callback, by outcome and, for failures, the error code answered.',
    labelNames: ['outcome', 'reason'],
    registers,
  });
  const refreshes = new Counter({
    name: 'portcullis_refreshes_total',
    help: 'Refresh token grants, by outcome (ok, invalid_grant, provider_unreachable, failed).',
    labelNames: ['outcome'],
    registers,
  });
  const logouts = new Counter({ name: 'portcullis_logouts_total', help: 'Logouts, by kind: rp (the user), backchannel or frontchannel (the provider).', labelNames: ['kind'], registers });
  const loggedOut = new Counter({ name: 'portcullis_logout_sessions_total', help: 'Sessions ended by logouts, by kind (a back-channel logout may end several).', labelNames: ['kind'], registers });
  const proxied = new Counter({
    name: 'portcullis_proxied_requests_total',
    help: 'Proxied API calls answered, by route (the configured path) and status class (2xx…5xx).',
    labelNames: ['route', 'status_class'],
    registers,
  });
  const proxyLatency = new Histogram({
    name: 'portcullis_proxied_request_duration_seconds',
    help: 'Time to answer a proxied API call (token included), by route.',
    labelNames: ['route'],
    buckets: PROXY_BUCKETS,
    registers,
  });
  const upstreamFailures = new Counter({
    name: 'portcullis_upstream_failures_total',
    help: 'Proxied calls that failed upstream, by route and kind (unreachable, timeout, body_too_large).',
    labelNames: ['route', 'kind'],
    registers,
  });
  const storeLatency = new Histogram({
    name: 'portcullis_store_operation_duration_seconds',
    help: 'Session store operations, by operation (get, set, setIf, take…).',
    labelNames: ['operation'],
    buckets: STORE_BUCKETS,
    registers,
  });
  const storeErrors = new Counter({ name: 'portcullis_store_operation_errors_total', help: 'Session store operations that threw, by operation.', labelNames: ['operation'], registers });

  const memory = options.memoryStore;
  if (memory) {
    new Gauge({
      name: 'portcullis_memory_store_entries',
      help: 'Records in the memory store: sessions and pending login states.',
      registers,
      collect() {
        this.set(memory.size);
      },
    });
    let seen = { session: 0, unindexed: 0 };
    new Counter({
      name: 'portcullis_memory_store_evictions_total',
      help: 'Records the memory store dropped to stay within its bounds (users logged out by the bound), by kind: session or unindexed (login states, markers).',
      labelNames: ['kind'],
      registers,
      collect() {
        const now = { session: memory.evictions, unindexed: memory.unindexedEvictions };
        this.inc({ kind: 'session' }, Math.max(0, now.session - seen.session));
        this.inc({ kind: 'unindexed' }, Math.max(0, now.unindexed - seen.unindexed));
        seen = now;
      },
    });
  }

  const events: BffEvents = {
    login: ({ outcome, reason }) => logins.inc(outcome === 'ok' ? { outcome } : { outcome, reason: reason ?? 'unknown' }),
    refresh: ({ outcome }) => refreshes.inc({ outcome }),
    logout: ({ kind, sessions }) => {
      logouts.inc({ kind });
      loggedOut.inc({ kind }, sessions);
    },
    proxied: ({ route, status, seconds }) => {
      proxied.inc({ route, status_class: `${Math.min(5, Math.max(1, Math.floor(status / 100)))}xx` });
      proxyLatency.observe({ route }, seconds);
    },
    upstreamFailure: ({ route, kind }) => upstreamFailures.inc({ route, kind }),
  };

  return {
    registry,
    events,
    instrumentStore: (inner) =>
      instrumentStore(inner, (operation, seconds, failed) => {
        storeLatency.observe({ operation }, seconds);
        if (failed) storeErrors.inc({ operation });
      }),
  };
}

/** A running metrics listener. */
export interface MetricsListener {
  /** `http://host:port/metrics`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves `GET /metrics` (and HEAD) of `registry` on `host:port`; anything else is a 404. */
export async function listenMetrics(registry: Registry, config: { port: number; host: string }): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found: metrics are at /metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end();
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new Error(`metrics port ${config.port} is already in use on ${config.host}: set "metrics.port" (PORTCULLIS_METRICS_PORT) to a free port`);
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

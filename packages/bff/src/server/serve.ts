/**
 * `startServer(config)`: the ready-to-deploy BFF server. One Node listener:
 *
 *   request id → access log → bff.handle (API calls, no Koa context)
 *                           → else the Koa app: /healthz, /readyz → createBff → static files
 *
 * and, with `metrics`, a second listener for Prometheus (`GET /metrics`),
 * fed by the BFF's events and a timed wrapper of the session store.
 * The CLI's `serve` is a thin wrapper around it (plus signal handling).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import Koa from 'koa';
import type { Logger } from 'pino';
import { createBff, type BffMiddleware } from '../bff.ts';
import type { SessionStore } from '../session/store.ts';
import { summarize } from '../middleware/error-handler.ts';
import type { ServerConfig } from './config.ts';
import { requireBffOptions, toConfigError } from './config.ts';
import { version } from './cli.ts';
import { healthEndpoints, providerCheck, Readiness } from './health.ts';
import { createServerLogger } from './logger.ts';
import type { MemoryStoreStats, MetricsListener, ServerMetrics } from './metrics.ts';
import { requestIdState, withRequestLog } from './request-log.ts';
import { closeGracefully, InflightTracker } from './shutdown.ts';
import { serveStatic } from './static-files.ts';
import { openStore } from './store.ts';
import { internalsOf } from '../internals.ts';

/** Options of {@link startServer} beyond the config. */
export interface StartServerOptions {
  /** Logger. Default: pino on stdout at `config.logLevel`, with redaction. */
  logger?: Logger;
}

/** A running server. */
export interface RunningServer {
  /** Where it listens, e.g. `http://localhost:3000`. */
  url: string;
  port: number;
  server: Server;
  bff: BffMiddleware;
  readiness: Readiness;
  logger: Logger;
  /** The Prometheus listener (`config.metrics`), else undefined. */
  metrics: MetricsListener | undefined;
  /**
   * Graceful stop: `/readyz` turns 503, no new connections, in-flight requests get
   * `config.shutdownTimeout` ms, then the BFF and the store are closed.
   * Resolves `true` when every request finished in time. Safe to call twice.
   */
  close(): Promise<boolean>;
}

/** Builds the app and listens. Throws a ConfigError for a wrong option. */
export async function startServer(config: ServerConfig, options: StartServerOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createServerLogger({ level: config.logLevel });
  for (const warning of config.warnings) logger.warn({}, warning);

  requireBffOptions(config);
  const store = await openStore(config.store, { logger });
  let metrics: ServerMetrics | undefined;
  let bff: BffMiddleware;
  try {
    if (config.metrics) {
      const { createServerMetrics } = await import('./metrics.ts'); // prom-client only when asked for
      metrics = createServerMetrics({ version: version(), ...(isMemoryStats(store.store) ? { memoryStore: store.store } : {}) });
    }
    const session = { ...config.bff.session, store: metrics ? metrics.instrumentStore(store.store) : store.store };
    bff = createBff({ ...config.bff, session, logger, ...(metrics ? { events: metrics.events } : {}) });
  } catch (err) {
    await store.close();
    throw toConfigError(err, config);
  }
  const resolved = internalsOf(bff).options;

  // The provider counts for readiness only when asked: its outage is every instance's.
  const readiness = new Readiness([providerCheck(resolved.issuer, fetch, { required: config.readyRequiresProvider }), store.check], {
    timeoutMs: config.readyTimeout,
    onChange(check, result) {
      const fields = { check, target: result.target, required: result.required };
      if (result.status === 'ok') logger.info(fields, 'readiness check recovered');
      else logger.warn({ ...fields, error: result.error }, 'readiness check failed');
    },
  });

  const app = new Koa();
  // Koa takes ctx.ip from X-Forwarded-For; only the last `trustProxy` entries were written by
  // our proxies (each appends its peer), anything left of them was written by the client.
  app.proxy = config.trustProxy > 0;
  app.maxIpsCount = config.trustProxy;
  app.silent = true;
  app.on('error', (err: unknown) => {
    if ((err as { expose?: boolean }).expose) return; // client errors (4xx) are in the access log
    logger.error({ err: summarize(err) }, 'unhandled error');
  });
  // Request ids and the access log run at the Node level (see below), for the fast path and Koa alike.
  app.use(requestIdState());
  app.use(healthEndpoints(readiness));
  app.use(bff);
  if (config.static) {
    app.use(
      serveStatic({
        root: config.static.dir,
        spaFallback: config.static.fallback,
        exclude: [resolved.path, ...resolved.apis.map((api) => api.path), '/healthz', '/readyz'],
        ...(config.static.contentSecurityPolicy ? { contentSecurityPolicy: config.static.contentSecurityPolicy } : {}),
        ...(config.static.immutable ? { immutable: config.static.immutable } : {}),
        compress: config.static.compress,
      }),
    );
  }

  // Allowlisted API calls take the BFF's fast path (no Koa context); everything else goes to Koa.
  const koa = app.callback();
  const { handle } = bff;
  const fastOptions = { trustProxy: app.proxy };
  const server = createServer(
    withRequestLog(
      logger,
      // The health endpoints come first, as in the Koa app, whatever the API routes are.
      (req, res) => !isHealthPath(req.url) && handle(req, res, fastOptions),
      koa,
    ),
  );
  const tracker = new InflightTracker(server);
  // WebSocket routes (`ws: true`): the BFF's upgrade handler; anything else is a 404.
  // Upgraded sockets are no longer the HTTP server's: track them to end them at shutdown.
  const upgraded = new Set<Duplex>();
  let stopping = false;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (stopping) return refuseUpgrade(socket, '503 Service Unavailable');
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    if (!bff.upgrade(req, socket, head)) refuseUpgrade(socket, '404 Not Found');
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
    await bff.close();
    await store.close();
    const code = (err as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new Error(`port ${config.port} is already in use${config.host ? ` on ${config.host}` : ''}: stop the other process or set "port" (PORTCULLIS_PORT)`);
    throw err;
  }
  let metricsListener: MetricsListener | undefined;
  if (metrics && config.metrics) {
    try {
      const { listenMetrics } = await import('./metrics.ts');
      metricsListener = await listenMetrics(metrics.registry, config.metrics);
    } catch (err) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await bff.close();
      await store.close();
      throw err;
    }
  }
  const { port } = server.address() as AddressInfo;
  const host = !config.host || config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  logger.info(
    {
      url,
      baseUrl: resolved.origin,
      issuer: resolved.issuer,
      store: store.description,
      static: config.static?.dir ?? null,
      apis: resolved.apis.map((api) => `${api.path} -> ${api.target}`),
      trustProxy: config.trustProxy,
      metrics: metricsListener?.url ?? null,
    },
    'listening',
  );

  let closing: Promise<boolean> | undefined;
  return {
    url,
    port,
    server,
    bff,
    readiness,
    logger,
    metrics: metricsListener,
    close() {
      closing ??= (async () => {
        readiness.markStopping();
        stopping = true;
        const clean = await closeGracefully(server, tracker, config.shutdownTimeout, logger, upgraded);
        await bff.close();
        await store.close();
        // Last: a scrape during the drain still sees the final counts.
        await metricsListener?.close();
        logger.info({ clean }, 'stopped');
        return clean;
      })();
      return closing;
    },
  };
}

/** `/healthz` or `/readyz`, with or without a query. */
function isHealthPath(url: string | undefined): boolean {
  return url !== undefined && /^\/(healthz|readyz)(\?|$)/.test(url);
}

function refuseUpgrade(socket: Duplex, status: string): void {
  socket.on('error', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Whether a store reports its size and evictions (the memory store does). */
function isMemoryStats(store: SessionStore): store is SessionStore & MemoryStoreStats {
  const stats = store as Partial<MemoryStoreStats>;
  return typeof stats.size === 'number' && typeof stats.evictions === 'number' && typeof stats.unindexedEvictions === 'number';
}

/**
 * Graceful shutdown: stop accepting connections, let in-flight requests
 * (proxied ones included) finish within a grace period, close idle
 * keep-alive connections as soon as they are idle, then close everything,
 * WebSocket connections included.
 */
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { BffLogger } from '../logger.ts';

/** Counts requests in flight on a server. */
export class InflightTracker {
  #count = 0;
  #waiters = new Set<() => void>();

  constructor(server: Server) {
    server.on('request', (req, res) => {
      this.#count += 1;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        this.#count -= 1;
        if (this.#count === 0) for (const waiter of this.#waiters) waiter();
      };
      res.once('close', finish);
      req.once('error', finish);
    });
  }

  get count(): number {
    return this.#count;
  }

  /** Resolves when no request is in flight (at once when none is). */
  idle(): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = () => {
        this.#waiters.delete(waiter);
        resolve();
      };
      this.#waiters.add(waiter);
    });
  }
}

/**
 * Closes `server` gracefully: no new connections; in-flight requests get up to
 * `timeoutMs`; responses finished meanwhile carry `Connection: close`.
 * Resolves `true` when everything finished in time, `false` when connections were cut.
 */
export async function closeGracefully(server: Server, tracker: InflightTracker, timeoutMs: number, logger: BffLogger, upgraded: Set<Duplex> = new Set()): Promise<boolean> {
  // Responses written from now on close their connection (clients reconnect elsewhere).
  server.on('request', (_req, res) => res.setHeader('Connection', 'close'));
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const inflight = tracker.count;
  if (inflight) logger.info({ inflight, timeoutMs }, 'waiting for in-flight requests');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  // Connections that turn idle after their last response are closed as they go.
  const sweeper = setInterval(() => server.closeIdleConnections(), 100);
  const outcome = await Promise.race([tracker.idle().then(() => 'idle' as const), timedOut]);
  clearInterval(sweeper);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    logger.warn({ inflight: tracker.count, timeoutMs }, 'shutdown timeout: closing the remaining connections');
  }
  server.closeAllConnections();
  // Upgraded (WebSocket) connections never end by themselves: clients reconnect elsewhere.
  if (upgraded.size) logger.info({ websockets: upgraded.size }, 'closing WebSocket connections');
  // end() first: the FIN travels through the proxy's pipe to the upstream too; destroy what lingers.
  for (const socket of upgraded) socket.end();
  const linger = setTimeout(() => {
    for (const socket of upgraded) socket.destroy();
  }, 500);
  await closed;
  clearTimeout(linger);
  return outcome === 'idle';
}

/**
 * Runs `shutdown` on the first SIGTERM or SIGINT (later ones are ignored while it runs),
 * and when the parent process that spawned this one with an IPC channel goes away.
 * Returns a function that removes the handlers.
 */
export function onShutdownSignal(shutdown: (reason: string) => void, logger: BffLogger): () => void {
  let started = false;
  const handle = (reason: string) => () => {
    if (started) {
      logger.info({ signal: reason }, 'already shutting down');
      return;
    }
    started = true;
    shutdown(reason);
  };
  const onTerm = handle('SIGTERM');
  const onInt = handle('SIGINT');
  const onDisconnect = handle('parent process gone');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  if (process.send) process.on('disconnect', onDisconnect);
  return () => {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    process.off('disconnect', onDisconnect);
  };
}

/**
 * Ports for servers that a test starts in another process (redis-server, the
 * `portcullis` command, the demo), which must be told their port in advance.
 *
 * A port from `listen(0)`, closed again, is free only until some other
 * `listen(0)` or outgoing connection of a parallel test takes it, before the
 * child process binds it (EADDRINUSE in CI). These ports come from below
 * Linux's ephemeral range (32768+), which neither ever uses, and below the
 * test Redis Cluster's range (10000+, its bus ports +10000).
 */
import { createServer } from 'node:net';

const LOWEST = 2000;
const COUNT = 8000;

/** Whether `port` can be bound right now on every interface (what a server without a host binds). */
export async function bindable(port: number, host?: string): Promise<boolean> {
  const server = createServer();
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, host, () => resolve(true));
  });
  if (ok) await new Promise<void>((resolve) => server.close(() => resolve()));
  return ok;
}

/** A port in 2000–9999 that is free now, on all interfaces and on 127.0.0.1. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * COUNT);
    if ((await bindable(port)) && (await bindable(port, '127.0.0.1'))) return port;
  }
  throw new Error('no free port found in 2000-9999');
}

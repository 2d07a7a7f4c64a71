/**
 * Target (7): `portcullis serve` (startServer, what the CLI runs) with the
 * same route as targets/bff.ts, the memory store unless BENCH_STORE=redis,
 * against the demo provider. Its access log is on (level info: one line per
 * request, formatted by pino) and written to a stream that discards it, so
 * the figure includes the request id and access-log work but no disk.
 *
 * Environment: BENCH_UPSTREAM (required), BENCH_STORE, BENCH_REDIS_URL,
 * BENCH_BFF_MODULE (another build's src/index.ts: its server/ next to it), and
 * BENCH_LOG_LEVEL (default info; warn turns the access log off).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as Serve from '../../packages/bff/src/server/serve.ts';
import type * as Config from '../../packages/bff/src/server/config.ts';
import type * as Log from '../../packages/bff/src/server/logger.ts';
import { failTarget, serveTarget } from '../lib/child.ts';
import { startBenchProvider } from '../lib/provider.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

async function main(): Promise<void> {
  const upstream = process.env['BENCH_UPSTREAM'];
  if (!upstream) throw new Error('BENCH_UPSTREAM is not set');
  const storeKind = process.env['BENCH_STORE'] ?? 'memory';
  const module = process.env['BENCH_BFF_MODULE'];
  const src = module ? dirname(resolve(module)) : fileURLToPath(new URL('../../packages/bff/src/', import.meta.url));
  const load = async <T>(path: string) => (await import(pathToFileURL(resolve(src, path)).href)) as T;
  const { startServer } = await load<typeof Serve>('server/serve.ts');
  const { loadConfig } = await load<typeof Config>('server/config.ts');
  const { createServerLogger } = await load<typeof Log>('server/logger.ts');

  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  // The provider runs in its own process (targets/provider.ts), as it would in production.
  const provider = await startBenchProvider({ upstream, baseUrl, clientId: 'portcullis-bench-serve', clientName: 'Portcullis bench (serve)' });
  const { issuer, client } = provider;
  const redisUrl = process.env['BENCH_REDIS_URL'];
  if (storeKind === 'redis' && !redisUrl) throw new Error('BENCH_STORE=redis needs BENCH_REDIS_URL');
  const config = await loadConfig({
    cwd: process.cwd(),
    env: {
      PORTCULLIS_ISSUER: issuer,
      PORTCULLIS_CLIENT_ID: client.id,
      PORTCULLIS_CLIENT_SECRET: client.secret,
      PORTCULLIS_BASE_URL: baseUrl,
      PORTCULLIS_SESSION_KEYS: randomBytes(32).toString('base64url'),
      PORTCULLIS_HOST: '127.0.0.1',
      PORTCULLIS_PORT: String(port),
      PORTCULLIS_APIS: JSON.stringify([{ path: '/api/bench', target: `${upstream}/data`, token: 'user' }]),
      ...(storeKind === 'redis' ? { PORTCULLIS_REDIS_URL: redisUrl! } : {}),
    },
  });
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  // BENCH_LOG_LEVEL=warn: no access lines (to tell their cost from the rest of serve's).
  const level = (process.env['BENCH_LOG_LEVEL'] ?? 'info') as 'info' | 'warn';
  const running = await startServer(config, { logger: createServerLogger({ level, destination: discard }) });
  serveTarget(
    baseUrl,
    async () => {
      running.server.closeAllConnections();
      await running.close();
      await provider.stop();
    },
    { store: storeKind, path: 'serve', issuer, module: module ?? '@portcullis/bff' },
  );
}

main().catch(failTarget);

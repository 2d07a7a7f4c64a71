/**
 * Targets (3) and (4): the BFF proxy. A Koa app with `createBff` only, one
 * allowlisted route `/api/bench` -> `${BENCH_UPSTREAM}/data` with the
 * user's token, against the real demo OpenID provider in its own process (same client
 * registration as the demo stack, access tokens valid for an hour so that no
 * refresh happens during a run). The parent signs in through it with
 * BffClient and load-tests with the session cookie.
 *
 * Environment:
 *   BENCH_UPSTREAM     the upstream origin (required)
 *   BENCH_STORE        `memory` (default) or `redis`
 *   BENCH_REDIS_URL    with `redis`
 *   BENCH_PATH         `fast` (default: `bff.callback(app)`, API calls answered without a Koa context) or `koa` (the Koa route)
 *   BENCH_BFF_MODULE   path of another build of @portcullis/bff's index.ts (A/B a change); default the workspace package
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Koa from 'koa';
import type * as BffModule from '@portcullis/bff';
import { failTarget, serveTarget } from '../lib/child.ts';
import { startBenchProvider } from '../lib/provider.ts';

async function main(): Promise<void> {
  const upstream = process.env['BENCH_UPSTREAM'];
  if (!upstream) throw new Error('BENCH_UPSTREAM is not set');
  const storeKind = process.env['BENCH_STORE'] ?? 'memory';
  const modulePath = process.env['BENCH_BFF_MODULE'];
  const bffModule = (modulePath ? await import(pathToFileURL(resolve(modulePath)).href) : await import('@portcullis/bff')) as typeof BffModule;

  // Listen first: the redirect URI (and so the provider's client) needs the port.
  let handler: http.RequestListener = (_req, res) => res.writeHead(503).end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // The provider runs in its own process (targets/provider.ts), as it would in production.
  const provider = await startBenchProvider({ upstream, baseUrl, clientId: 'portcullis-bench-bff', clientName: 'Portcullis bench' });
  const { issuer, client } = provider;

  let store: BffModule.SessionStore | undefined;
  if (storeKind === 'redis') {
    const url = process.env['BENCH_REDIS_URL'];
    if (!url) throw new Error('BENCH_STORE=redis needs BENCH_REDIS_URL');
    store = new bffModule.RedisSessionStore({ url });
  } else if (storeKind !== 'memory') {
    throw new Error(`BENCH_STORE must be memory or redis, not ${storeKind}`);
  }

  const bff = bffModule.createBff({
    issuer,
    clientId: client.id,
    clientSecret: client.secret,
    baseUrl,
    session: { keys: [randomBytes(32).toString('base64url')], ...(store ? { store } : {}) },
    apis: [{ path: '/api/bench', target: `${upstream}/data`, token: 'user' }],
    logger: bffModule.silentLogger,
  });
  const app = new Koa();
  app.use(bff);
  const path = process.env['BENCH_PATH'] ?? 'fast';
  if (path !== 'fast' && path !== 'koa') throw new Error(`BENCH_PATH must be fast or koa, not ${path}`);
  // An older build (BENCH_BFF_MODULE) may have no fast path: it then runs the Koa route.
  const fast = path === 'fast' && typeof (bff as Partial<typeof bff>).callback === 'function';
  handler = fast ? bff.callback(app) : app.callback();

  serveTarget(
    baseUrl,
    async () => {
      server.close();
      server.closeAllConnections();
      await bff.close();
      await (store as { close?: () => Promise<void> } | undefined)?.close?.();
      await provider.stop();
    },
    { store: storeKind, path: fast ? 'fast' : 'koa', issuer, module: modulePath ?? '@portcullis/bff' },
  );
}

main().catch(failTarget);

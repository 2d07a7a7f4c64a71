/**
 * startServer in-process: health endpoints, request ids, the access log,
 * trustProxy and Secure cookies, graceful close, start-up errors. A fake
 * provider serves just a discovery document (enough for /bff/login).
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/server/config.ts';
import { createServerLogger } from '../../src/server/logger.ts';
import { startServer, type RunningServer } from '../../src/server/serve.ts';

interface FakeProvider {
  issuer: string;
  /** Issuer named by the discovery document (default: the real one). */
  advertise: string | undefined;
  server: Server;
}

interface Upstream {
  url: string;
  seen: IncomingHttpHeaders[];
  server: Server;
}

let provider: FakeProvider;
let upstream: Upstream;
const upstreamSockets = new Set<Socket>();
const running: RunningServer[] = [];

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  return `http://localhost:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  const fake: Partial<FakeProvider> = { advertise: undefined };
  fake.server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          issuer: fake.advertise ?? fake.issuer,
          authorization_endpoint: `${fake.issuer}/auth`,
          token_endpoint: `${fake.issuer}/token`,
          jwks_uri: `${fake.issuer}/jwks`,
          response_types_supported: ['code'],
        }),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  fake.issuer = await listen(fake.server);
  provider = fake as FakeProvider;

  const seen: IncomingHttpHeaders[] = [];
  const upstreamServer = createServer((req, res) => {
    seen.push(req.headers);
    const delay = req.url?.startsWith('/slow') ? 600 : 0;
    setTimeout(() => {
      const body = JSON.stringify({ ok: true, padding: 'y'.repeat(50_000) });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }, delay);
  });
  upstreamServer.on('upgrade', (_req, socket: Socket) => {
    upstreamSockets.add(socket);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.on('data', (data) => socket.write(data));
    socket.on('error', () => socket.destroy());
  });
  upstream = { url: await listen(upstreamServer), seen, server: upstreamServer };
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

afterAll(async () => {
  for (const socket of upstreamSockets) socket.destroy();
  for (const server of [provider.server, upstream.server]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createServerLogger({ level: 'debug', destination }) };
}

async function start(env: Record<string, string> = {}) {
  const config = await loadConfig({
    cwd: process.cwd(),
    env: {
      PORTCULLIS_ISSUER: provider.issuer,
      PORTCULLIS_CLIENT_ID: 'app',
      PORTCULLIS_CLIENT_SECRET: 'test-secret-value',
      PORTCULLIS_BASE_URL: 'http://localhost:3000',
      PORTCULLIS_SESSION_KEYS: 'k'.repeat(40),
      PORTCULLIS_PORT: '0',
      PORTCULLIS_HOST: 'localhost',
      PORTCULLIS_READY_TIMEOUT: '500',
      PORTCULLIS_APIS: JSON.stringify([
        { path: '/api/open', target: `${upstream.url}/open`, token: 'none' },
        { path: '/api/slow', target: `${upstream.url}/slow`, token: 'none' },
        { path: '/api/ws', target: `${upstream.url}/ws`, token: 'none', ws: true },
      ]),
      ...env,
    },
  });
  const { lines, logger } = capture();
  const server = await startServer(config, { logger });
  running.push(server);
  return { server, url: server.url, lines };
}

describe('startServer', () => {
  it('answers /healthz and /readyz; a provider failure is reported and logged, and fails readiness only when required', async () => {
    const { url, lines } = await start();
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.headers.get('cache-control')).toBe('no-store');
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${url}/healthz`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${url}/readyz`, { method: 'HEAD' })).status).toBe(200);

    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      checks: { provider: { status: 'ok', target: provider.issuer, required: false }, store: { status: 'ok', target: 'memory', required: true } },
    });

    const strict = await start({ PORTCULLIS_READY_REQUIRES_PROVIDER: 'true' });
    provider.advertise = 'https://someone-else.example.com';
    try {
      await new Promise((resolve) => setTimeout(resolve, 1100)); // past the 1 s result cache
      // Default: this instance is fine (its store answers); the provider's state is in the body.
      const degraded = await fetch(`${url}/readyz`);
      expect(degraded.status).toBe(200);
      const body = (await degraded.json()) as { status: string; checks: Record<string, { status: string; error?: string }> };
      expect(body.status).toBe('ok');
      expect(body.checks['provider']!.status).toBe('fail');
      expect(body.checks['provider']!.error).toContain('names issuer "https://someone-else.example.com"');
      expect(body.checks['store']!.status).toBe('ok');
      // readyRequiresProvider: the same failure makes the instance unready.
      const down = await fetch(`${strict.url}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ status: 'unavailable', checks: { provider: { status: 'fail', required: true } } });
    } finally {
      provider.advertise = undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    // Logged once on the change, and once on the recovery.
    const changes = lines.filter((l) => l['check'] === 'provider').map((l) => l['msg']);
    expect(changes).toEqual(['readiness check failed', 'readiness check recovered']);
  });

  it('answers /readyz quickly when the provider does not answer at all: 200 by default, 503 when required', async () => {
    const { url } = await start({ PORTCULLIS_ISSUER: 'http://localhost:9' });
    const started = Date.now();
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(JSON.stringify(await response.json())).toContain('http://localhost:9/.well-known/openid-configuration unreachable');
    const strict = await start({ PORTCULLIS_ISSUER: 'http://localhost:9', PORTCULLIS_READY_REQUIRES_PROVIDER: '1' });
    expect((await fetch(`${strict.url}/readyz`)).status).toBe(503);
  });

  it('trustProxy as a hop count: the client cannot choose its rate-limit key with X-Forwarded-For', async () => {
    const limit = { PORTCULLIS_RATE_LIMIT: JSON.stringify({ max: 10, windowSeconds: 60 }) };
    // What an appending proxy (nginx $proxy_add_x_forwarded_for) sends: the client's header, then the address it saw.
    const spoofed = (i: number) => ({ 'x-forwarded-for': `10.0.0.${i}, 198.51.100.7` });
    const passed = async (url: string) => {
      let ok = 0;
      for (let i = 0; i < 15; i++) if ((await fetch(`${url}/bff/login`, { redirect: 'manual', headers: spoofed(i) })).status === 302) ok++;
      return ok;
    };
    const oneHop = await start({ ...limit, PORTCULLIS_TRUST_PROXY: '1' });
    expect(oneHop.server.server.listening).toBe(true);
    expect(await passed(oneHop.url)).toBe(10);
    // Two hops (CDN + load balancer): the entry the CDN appended decides; the client's own entries still do not.
    const twoHops = await start({ ...limit, PORTCULLIS_TRUST_PROXY: '2' });
    let ok = 0;
    for (let i = 0; i < 15; i++) {
      const response = await fetch(`${twoHops.url}/bff/login`, { redirect: 'manual', headers: { 'x-forwarded-for': `10.0.0.${i}, 198.51.100.7, 192.0.2.1` } });
      if (response.status === 302) ok++;
    }
    expect(ok).toBe(10);
  });

  it('gives each request an id (a safe incoming one is kept), passes it upstream and logs it on every line', async () => {
    const { url, lines } = await start();
    const kept = await fetch(`${url}/api/open/x?access_token=leak`, { headers: { 'x-request-id': 'trace-0001', 'x-csrf': '1' } });
    expect(kept.status).toBe(200);
    expect(kept.headers.get('x-request-id')).toBe('trace-0001');
    expect(upstream.seen.at(-1)!['x-request-id']).toBe('trace-0001');

    for (const unsafe of ['a'.repeat(65), 'two words', 'quote"d', 'new\\nline']) {
      const replaced = await fetch(`${url}/healthz`, { headers: { 'x-request-id': unsafe } });
      expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    const refused = await fetch(`${url}/bff/nothing?code=c0de&state=st4te`);
    const refusedId = refused.headers.get('x-request-id');
    await new Promise((resolve) => setTimeout(resolve, 50));

    const access = lines.filter((l) => l['msg'] === 'request');
    expect(access.find((l) => l['reqId'] === 'trace-0001')).toMatchObject({ method: 'GET', path: '/api/open/x', status: 200 });
    const refusedLines = lines.filter((l) => l['reqId'] === refusedId);
    // The BFF's own line about the request and the access line share the id.
    expect(refusedLines.map((l) => l['msg'])).toEqual(['request refused', 'request']);
    expect(refusedLines[1]).toMatchObject({ path: '/bff/nothing', status: 404 });
    const text = JSON.stringify(lines);
    for (const secret of ['leak', 'c0de', 'st4te', 'test-secret-value', 'k'.repeat(40)]) expect(text).not.toContain(secret);
  });

  it('API calls (the fast path, before Koa) get the same request id, answers and log lines; health endpoints are never shadowed', async () => {
    const apis = [
      { path: '/api/open', target: `${upstream.url}/open`, token: 'none' },
      { path: '/healthz', target: `${upstream.url}/open`, token: 'none' },
    ];
    const { url, lines } = await start({ PORTCULLIS_APIS: JSON.stringify(apis) });
    const refused = await fetch(`${url}/api/open/x`, { headers: { 'x-request-id': 'fast-0001' } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('x-request-id')).toBe('fast-0001');
    expect(refused.headers.get('cache-control')).toBe('no-store');
    const ok = await fetch(`${url}/api/open/y?q=1`, { headers: { 'x-csrf': '1', 'x-request-id': 'fast-0002' } });
    expect(ok.status).toBe(200);
    expect(upstream.seen.at(-1)!['x-request-id']).toBe('fast-0002');
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines.filter((l) => l['reqId'] === 'fast-0001').map((l) => l['msg'])).toEqual(['request refused', 'request']);
    expect(lines.find((l) => l['reqId'] === 'fast-0002' && l['msg'] === 'request')).toMatchObject({ method: 'GET', path: '/api/open/y', status: 200 });
  });

  it('with trustProxy, X-Forwarded-Proto decides Secure cookies behind a TLS-terminating proxy', async () => {
    const { url } = await start({ PORTCULLIS_BASE_URL: 'https://app.example.test', PORTCULLIS_TRUST_PROXY: 'true' });
    const login = await fetch(`${url}/bff/login`, { redirect: 'manual', headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.test' } });
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toMatch(new RegExp(`^${provider.issuer}/auth\\?`));
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^__Host-portcullis-login=/);
    expect(cookie).toMatch(/;\s*secure/i);
    expect(cookie).toMatch(/;\s*httponly/i);

    // Plain http from the proxy: a Secure cookie cannot be set, the login fails rather than downgrade.
    const plain = await fetch(`${url}/bff/login`, { redirect: 'manual' });
    expect(plain.status).toBeGreaterThanOrEqual(500);
    expect(plain.headers.get('set-cookie')).toBeNull();
  });

  it('close() lets in-flight proxied requests finish, refuses new connections, and resolves true', async () => {
    const { server, url, lines } = await start({ PORTCULLIS_SHUTDOWN_TIMEOUT: '5000' });
    const before = upstream.seen.length;
    const pending = fetch(`${url}/api/slow/report`, { headers: { 'x-csrf': '1' } });
    await waitFor(() => upstream.seen.length > before);
    const closing = server.close();
    const response = await pending;
    expect(response.status).toBe(200);
    expect(((await response.json()) as { padding: string }).padding).toHaveLength(50_000);
    expect(await closing).toBe(true);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    expect(lines.map((l) => l['msg'])).toContain('waiting for in-flight requests');
  });

  it('close() cuts requests still running after shutdownTimeout and resolves false', async () => {
    const { server, url } = await start({ PORTCULLIS_SHUTDOWN_TIMEOUT: '100' });
    const before = upstream.seen.length;
    const pending = fetch(`${url}/api/slow/report`, { headers: { 'x-csrf': '1' } }).then(
      (r) => r.text(),
      (e: unknown) => e,
    );
    await waitFor(() => upstream.seen.length > before);
    expect(await server.close()).toBe(false);
    expect(await pending).toBeInstanceOf(Error);
  });

  it('proxies WebSocket routes, answers 404 to other upgrades, and ends upgraded connections at shutdown', async () => {
    const { server, url } = await start({ PORTCULLIS_SHUTDOWN_TIMEOUT: '2000' });
    const upgrade = (path: string) =>
      new Promise<{ status: number; socket?: Socket }>((resolve, reject) => {
        const req = request(`${url}${path}`, {
          headers: { connection: 'Upgrade', upgrade: 'websocket', origin: 'http://localhost:3000', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
        });
        req.on('upgrade', (res, socket) => resolve({ status: res.statusCode!, socket }));
        req.on('response', (res) => {
          res.resume();
          resolve({ status: res.statusCode! });
        });
        req.on('error', reject);
        req.end();
      });
    expect((await upgrade('/nowhere')).status).toBe(404);
    const { status, socket } = await upgrade('/api/ws/chat');
    expect(status).toBe(101);
    const echoed = new Promise<string>((resolve) => socket!.once('data', (d: Buffer) => resolve(d.toString())));
    socket!.write('ping');
    expect(await echoed).toBe('ping');
    const ended = new Promise<void>((resolve) => socket!.once('close', () => resolve()));
    const started = Date.now();
    expect(await server.close()).toBe(true);
    await ended;
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('refuses a taken port with a clear message', async () => {
    const { server } = await start();
    await expect(start({ PORTCULLIS_PORT: String(server.port) })).rejects.toThrow(`port ${server.port} is already in use`);
  });

  it('names the option createBff refuses', async () => {
    const err = await start({ PORTCULLIS_SCOPE: 'profile' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain('option "scope" must include "openid" (from PORTCULLIS_SCOPE)');
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

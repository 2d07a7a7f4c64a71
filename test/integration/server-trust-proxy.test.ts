/**
 * `portcullis serve --trust-proxy` behind a real appending reverse proxy (what
 * nginx's `$proxy_add_x_forwarded_for` does): a client that writes its own
 * `X-Forwarded-For` entries must not get a fresh rate-limit bucket per request.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ID, freePort, newSessionKey, spawnPortcullis, startUpstreams, type PortcullisProcess, type Upstreams } from './server-harness.ts';

/** A reverse proxy that appends the address of its peer to X-Forwarded-For, as nginx and cloud load balancers do. */
async function startAppendingProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const seen = req.headers['x-forwarded-for'];
    const headers = { ...req.headers, 'x-forwarded-for': seen ? `${String(seen)}, ${req.socket.remoteAddress}` : req.socket.remoteAddress!, 'x-forwarded-proto': 'http' };
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let upstreams: Upstreams;
let proc: PortcullisProcess;
let proxy: Awaited<ReturnType<typeof startAppendingProxy>>;

beforeAll(async () => {
  const port = await freePort();
  const bffUrl = `http://localhost:${port}`;
  proxy = await startAppendingProxy(bffUrl);
  upstreams = await startUpstreams(proxy.url);
  proc = spawnPortcullis(['serve', '--port', String(port), '--trust-proxy=1'], {
    PORTCULLIS_ISSUER: upstreams.provider.issuer,
    PORTCULLIS_CLIENT_ID: CLIENT_ID,
    PORTCULLIS_CLIENT_SECRET: upstreams.secret,
    PORTCULLIS_BASE_URL: proxy.url,
    PORTCULLIS_SESSION_KEYS: newSessionKey(),
    PORTCULLIS_RATE_LIMIT: JSON.stringify({ max: 10, windowSeconds: 60 }),
  });
  await proc.waitReady(bffUrl);
});

afterAll(async () => {
  await proc?.stop();
  await proxy?.close();
  await upstreams?.stop();
});

describe('trustProxy as a hop count, behind an appending proxy', () => {
  it('15 logins from one client, each with its own forged X-Forwarded-For: at most 10 pass', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 15; i++) {
      const response = await fetch(`${proxy.url}/bff/login`, { redirect: 'manual', headers: { 'x-forwarded-for': `10.0.0.${i}` } });
      await response.body?.cancel();
      statuses.push(response.status);
    }
    expect(statuses.filter((s) => s === 302).length, statuses.join(',')).toBeLessThanOrEqual(10);
    expect(statuses.filter((s) => s === 302).length).toBe(10);
    expect(statuses.slice(10)).toEqual([429, 429, 429, 429, 429]);
  });
});

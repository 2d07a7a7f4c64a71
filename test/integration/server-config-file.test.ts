/**
 * `portcullis serve --config portcullis.config.json` as a real child process:
 * login through the demo provider, the API proxy, the SPA's static files and
 * fallback, request ids and the access log, /healthz and /readyz following
 * the provider, no secret in any log line, and a graceful SIGTERM that lets a
 * slow proxied request finish.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BffClient } from '../helpers/bff-client.ts';
import {
  CLIENT_ID,
  freePort,
  logLines,
  newSessionKey,
  spawnPortcullis,
  startSlowUpstream,
  startUpstreams,
  tempDir,
  writeSpaBuild,
  type PortcullisProcess,
  type SlowUpstream,
  type Upstreams,
} from './server-harness.ts';

const CSP = "default-src 'self'; frame-ancestors 'none'";

let baseUrl: string;
let upstreams: Upstreams;
let slow: SlowUpstream;
let proc: PortcullisProcess;
let sessionKey: string;
const client = () => new BffClient(baseUrl);

beforeAll(async () => {
  const port = await freePort();
  baseUrl = `http://localhost:${port}`;
  upstreams = await startUpstreams(baseUrl);
  slow = await startSlowUpstream(1000);
  const dir = tempDir('config');
  writeSpaBuild(path.join(dir, 'dist'));
  writeFileSync(path.join(dir, 'client-secret.txt'), `${upstreams.secret}\n`);
  sessionKey = newSessionKey();
  const config = {
    issuer: upstreams.provider.issuer,
    clientId: CLIENT_ID,
    clientSecret: { file: 'client-secret.txt' },
    baseUrl,
    session: { keys: { env: 'TEST_SESSION_KEYS' }, store: { type: 'memory' } },
    apis: [
      { path: '/api/todos', target: `${upstreams.api.url}/todos`, token: 'user' },
      { path: '/api/slow', target: slow.url, token: 'none' },
    ],
    port,
    static: { dir: './dist', contentSecurityPolicy: CSP },
    readyTimeout: 1000,
    shutdownTimeout: 5000,
    logLevel: 'debug',
  };
  const file = path.join(dir, 'portcullis.config.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  proc = spawnPortcullis(['serve', '--config', file], { TEST_SESSION_KEYS: sessionKey });
  await proc.waitReady(baseUrl);
});

afterAll(async () => {
  await proc?.stop();
  await slow?.close();
  await upstreams?.stop();
});

describe('portcullis serve --config', () => {
  let signedIn: BffClient;

  it('logs in through the provider and proxies the API with the session', async () => {
    signedIn = client();
    const landing = await signedIn.login('alice');
    expect(landing.response.status).toBe(200);
    expect(new URL(landing.url).origin).toBe(baseUrl);
    const user = await signedIn.user();
    expect(user.status).toBe(200);
    expect(user.body['sub']).toBe('alice');
    const todos = await signedIn.fetch('/api/todos');
    expect(todos.status).toBe(200);
    expect(Array.isArray(((await todos.json()) as { todos: unknown }).todos)).toBe(true);
    expect(signedIn.sessionCookie()).toBeTruthy();
  });

  it('serves the SPA: content types, ETags, immutable hashed assets, no-cache index.html', async () => {
    const index = await fetch(`${baseUrl}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toBe(CSP);
    expect(await index.text()).toContain('<div id="root">');
    const etag = index.headers.get('etag');
    expect(etag).toBeTruthy();
    // (fetch adds `Cache-Control: no-cache` to a conditional request unless one is given: a browser revalidating sends max-age=0)
    const again = await fetch(`${baseUrl}/`, { headers: { 'if-none-match': etag!, 'cache-control': 'max-age=0' } });
    expect(again.status).toBe(304);

    const js = await fetch(`${baseUrl}/assets/index-AbC12dEf.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^(application|text)\/javascript/);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-security-policy')).toBeNull();
    const css = await fetch(`${baseUrl}/assets/index-Xy9_8wVu.css`);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(css.headers.get('cache-control')).toContain('immutable');
    const icon = await fetch(`${baseUrl}/favicon.svg`);
    expect(icon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(icon.headers.get('cache-control')).toBe('no-cache');

    const head = await fetch(`${baseUrl}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^text\/html/);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
  });

  it('falls back to index.html for client routes, never for /bff, API routes or files with an extension', async () => {
    const route = await fetch(`${baseUrl}/todos/42`);
    expect(route.status).toBe(200);
    expect(route.headers.get('cache-control')).toBe('no-cache');
    expect(await route.text()).toContain('<div id="root">');

    const bff = await fetch(`${baseUrl}/bff/nothing-here`);
    expect(bff.status).toBe(404);
    expect(bff.headers.get('content-type')).toMatch(/json/);

    const api = await fetch(`${baseUrl}/api/todos`, { headers: { 'x-csrf': '1' } }); // no session: the proxy answers, not the SPA
    expect(api.status).toBe(401);
    expect(api.headers.get('content-type')).toMatch(/json/);

    for (const missing of ['/missing.js', '/assets/index-00000000.js', '/logo.png']) {
      const response = await fetch(`${baseUrl}${missing}`);
      expect(response.status, missing).toBe(404);
      expect(await response.text(), missing).not.toContain('<div id="root">');
    }
    expect((await fetch(`${baseUrl}/.env`)).status).toBe(404);
    expect((await fetch(`${baseUrl}/assets/..%2f.env`)).status).toBe(404);
  });

  it('answers /healthz and /readyz', async () => {
    const health = await fetch(`${baseUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', checks: { provider: { status: 'ok' }, store: { status: 'ok' } } });
  });

  it('gives every request an id and logs one access line without the query string', async () => {
    const kept = await fetch(`${baseUrl}/healthz`, { headers: { 'x-request-id': 'lb-7f3a.42' } });
    expect(kept.headers.get('x-request-id')).toBe('lb-7f3a.42');
    const replaced = await fetch(`${baseUrl}/healthz`, { headers: { 'x-request-id': '<script>alert(1)</script>' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const fresh = await fetch(`${baseUrl}/todos?code=QUERYCODE123&state=QUERYSTATE456`);
    const id = fresh.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    await new Promise((resolve) => setTimeout(resolve, 100));
    const access = logLines(proc.output()).filter((line) => line['msg'] === 'request');
    const line = access.find((l) => l['reqId'] === id);
    expect(line).toMatchObject({ method: 'GET', path: '/todos', status: 200, level: 'info' });
    expect(typeof line!['durationMs']).toBe('number');
    expect(access.filter((l) => l['reqId'] === 'lb-7f3a.42')).toHaveLength(1);
    expect(proc.output()).not.toContain('QUERYCODE123');
    expect(proc.output()).not.toContain('QUERYSTATE456');
  });

  it("reports the provider failed in /readyz while it is down (still 200: the outage is not this instance's), then ok", async () => {
    await upstreams.provider.stop();
    try {
      const down = await pollProvider('fail');
      expect(down.status).toBe(200);
      expect(down.body['status']).toBe('ok');
      const provider = (down.body['checks'] as Record<string, { status: string; error: string; target: string; required: boolean }>)['provider']!;
      expect(provider.status).toBe('fail');
      expect(provider.required).toBe(false);
      expect(provider.target).toBe(upstreams.provider.issuer);
      expect(provider.error).toContain(upstreams.provider.issuer);
      expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
    } finally {
      await upstreams.provider.restart();
    }
    const up = await pollProvider('ok');
    expect(up.status).toBe(200);
    expect(up.body['status']).toBe('ok');
  });

  it('never logs the client secret, the session key, the session cookie or a token', async () => {
    // A refresh-free second session to have more log lines to scan.
    const other = client();
    await other.login('bob');
    expect((await other.fetch('/api/todos')).status).toBe(200);
    const output = proc.output();
    expect(output.length).toBeGreaterThan(0);
    expect(output).not.toContain(upstreams.secret);
    expect(output).not.toContain(sessionKey);
    for (const cookie of [signedIn.sessionCookie(), other.sessionCookie()]) {
      expect(cookie).toBeTruthy();
      expect(output).not.toContain(cookie!);
      expect(output).not.toContain(cookie!.split('.')[0]!);
    }
    expect(output).not.toMatch(/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}/);
  });

  it('lets a slow proxied request finish on SIGTERM, then exits 0', async () => {
    const pending = fetch(`${baseUrl}/api/slow/report`, { headers: { 'x-csrf': '1' } });
    const deadline = Date.now() + 5000;
    while (slow.hits === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(slow.hits).toBe(1);
    proc.child.kill('SIGTERM');
    const response = await pending;
    expect(response.status).toBe(200);
    const body = (await response.json()) as { slow: boolean; path: string; padding: string };
    expect(body.slow).toBe(true);
    expect(body.path).toBe('/report');
    expect(body.padding).toHaveLength(200_000);
    const { code } = await proc.exited;
    expect(code).toBe(0);
    const messages = logLines(proc.output()).map((l) => l['msg']);
    expect(messages).toContain('shutting down');
    expect(messages.at(-1)).toBe('stopped');
  });
});

async function pollProvider(status: 'ok' | 'fail'): Promise<{ status: number; body: Record<string, unknown> }> {
  const deadline = Date.now() + 8000;
  let last: Record<string, unknown> = {};
  while (Date.now() < deadline) {
    const response = await fetch(`${baseUrl}/readyz`);
    last = (await response.json()) as Record<string, unknown>;
    if ((last['checks'] as Record<string, { status: string }> | undefined)?.['provider']?.status === status) return { status: response.status, body: last };
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`/readyz never reported the provider ${status}: ${JSON.stringify(last)}`);
}

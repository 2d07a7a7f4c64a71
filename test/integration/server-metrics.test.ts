/**
 * Prometheus metrics of `portcullis serve`, against the real demo provider
 * and todo API: a login, a refresh, proxied calls, a failed upstream and a
 * logout show in the counters of `GET /metrics` on the metrics listener,
 * which the public port never serves. In process (startServer, to age a
 * token in the store) and once as the real command (the environment
 * variables, the listener's own port).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../packages/bff/src/server/config.ts';
import { createServerLogger } from '../../packages/bff/src/server/logger.ts';
import { startServer, type RunningServer } from '../../packages/bff/src/server/serve.ts';
import { BffClient } from '../helpers/bff-client.ts';
import { expireAccessToken } from '../helpers/sessions.ts';
import { CLIENT_ID, freePort, newSessionKey, spawnPortcullis, startUpstreams, type Upstreams } from './server-harness.ts';

let upstreams: Upstreams;
let running: RunningServer;
let baseUrl: string;
const deadPort = await freePort();

beforeAll(async () => {
  const port = await freePort();
  baseUrl = `http://localhost:${port}`;
  upstreams = await startUpstreams(baseUrl);
  const config = await loadConfig({
    cwd: process.cwd(),
    env: {
      PORTCULLIS_ISSUER: upstreams.provider.issuer,
      PORTCULLIS_CLIENT_ID: CLIENT_ID,
      PORTCULLIS_CLIENT_SECRET: upstreams.secret,
      PORTCULLIS_BASE_URL: baseUrl,
      PORTCULLIS_SESSION_KEYS: newSessionKey(),
      PORTCULLIS_SCOPE: 'openid profile offline_access todos:read todos:write',
      PORTCULLIS_APIS: JSON.stringify([
        { path: '/api/todos', target: `${upstreams.api.url}/todos`, token: 'user' },
        { path: '/api/dead', target: `http://localhost:${deadPort}`, token: 'user' },
      ]),
      PORTCULLIS_PORT: String(port),
      PORTCULLIS_METRICS_PORT: '0',
    },
  });
  running = await startServer(config, { logger: createServerLogger({ level: 'silent' }) });
});

afterAll(async () => {
  await running?.close();
  await upstreams?.stop();
});

/** The samples of one metric family, as `labels -> value`. */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`).exec(line);
    if (match) out.set(match[1] ?? '', Number(match[2]));
  }
  return out;
}

const scrape = async (url: string) => {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
};

describe('metrics', () => {
  it('count a login, a refresh, proxied calls by status class, an upstream failure and a logout; time the store', async () => {
    const tab = new BffClient(baseUrl);
    await tab.login('alice');
    expect((await tab.fetch('/api/todos')).status).toBe(200);
    await expireAccessToken(running.bff, tab);
    expect((await tab.fetch('/api/todos')).status).toBe(200); // refreshes first
    expect((await tab.fetch('/api/todos/no-such-todo')).status).toBe(404);
    expect((await tab.fetch('/api/dead/x')).status).toBe(502);
    const { body } = await tab.user();
    expect((await tab.fetch(body['logoutUrl'] as string, { csrf: false })).status).toBe(302);

    // The proxied event fires when the response closes: give it a moment.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const text = await scrape(running.metrics!.url);
    expect(samples(text, 'portcullis_logins_total').get('{outcome="ok"}')).toBe(1);
    expect(samples(text, 'portcullis_refreshes_total').get('{outcome="ok"}')).toBe(1);
    expect(samples(text, 'portcullis_logouts_total').get('{kind="rp"}')).toBe(1);
    expect(samples(text, 'portcullis_logout_sessions_total').get('{kind="rp"}')).toBe(1);
    const proxied = samples(text, 'portcullis_proxied_requests_total');
    expect(proxied.get('{route="/api/todos",status_class="2xx"}')).toBe(2);
    expect(proxied.get('{route="/api/todos",status_class="4xx"}')).toBe(1);
    expect(proxied.get('{route="/api/dead",status_class="5xx"}')).toBe(1);
    expect(samples(text, 'portcullis_proxied_request_duration_seconds_count').get('{route="/api/todos"}')).toBe(3);
    expect(samples(text, 'portcullis_upstream_failures_total').get('{route="/api/dead",kind="unreachable"}')).toBe(1);

    const storeOps = samples(text, 'portcullis_store_operation_duration_seconds_count');
    expect(storeOps.get('{operation="get"}')).toBeGreaterThan(0);
    expect((storeOps.get('{operation="setIf"}') ?? 0) + (storeOps.get('{operation="set"}') ?? 0)).toBeGreaterThan(0);
    expect(samples(text, 'portcullis_memory_store_entries').get('')).toBeGreaterThanOrEqual(0);
    expect(samples(text, 'portcullis_memory_store_evictions_total').get('{kind="session"}')).toBe(0);
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^portcullis_build_info\{version="\d+\.\d+\.\d+[^"]*"\} 1$/m);
    // No user, session id or token in any label.
    expect(text).not.toMatch(/alice|sub=|sid=|eyJ/);
  });

  it('listens on 127.0.0.1 by default, and the public port does not serve /metrics', async () => {
    expect(running.metrics!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const publicMetrics = await fetch(`${baseUrl}/metrics`);
    expect(publicMetrics.status).toBe(404);
    expect(await publicMetrics.text()).not.toContain('portcullis_');
    const other = await fetch(running.metrics!.url.replace('/metrics', '/bff/user'));
    expect(other.status).toBe(404);
  });

  it('portcullis serve with PORTCULLIS_METRICS_PORT: a second port serves /metrics, the public one does not', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const child = spawnPortcullis(['serve'], {
      PORTCULLIS_ISSUER: upstreams.provider.issuer,
      PORTCULLIS_CLIENT_ID: CLIENT_ID,
      PORTCULLIS_CLIENT_SECRET: upstreams.secret,
      PORTCULLIS_BASE_URL: `http://localhost:${port}`,
      PORTCULLIS_SESSION_KEYS: newSessionKey(),
      PORTCULLIS_PORT: String(port),
      PORTCULLIS_METRICS_PORT: String(metricsPort),
      PORTCULLIS_LOG_LEVEL: 'warn',
    });
    try {
      await child.waitReady(`http://localhost:${port}`);
      const text = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(text).toContain('# TYPE portcullis_logins_total counter');
      expect(text).toContain('# TYPE portcullis_proxied_request_duration_seconds histogram');
      expect((await fetch(`http://localhost:${port}/metrics`)).status).toBe(404);
    } finally {
      await child.stop();
    }
    expect(child.output()).not.toContain(upstreams.secret);
  });
});

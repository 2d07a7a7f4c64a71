/**
 * Two `portcullis serve` processes with the same baseUrl and one Redis, as
 * behind a load balancer: a session made on one is served by the other;
 * `check` does a round trip through Redis; /readyz names the store while Redis is down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BffClient } from '../helpers/bff-client.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { CLIENT_ID, freePort, newSessionKey, runPortcullis, spawnPortcullis, startUpstreams, type PortcullisProcess, type Upstreams } from './server-harness.ts';

let redis: TestRedis;
let upstreams: Upstreams;
let baseUrl: string;
let otherUrl: string;
let env: Record<string, string>;
const procs: PortcullisProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
  const [portA, portB] = [await freePort(), await freePort()];
  baseUrl = `http://localhost:${portA}`;
  otherUrl = `http://localhost:${portB}`;
  upstreams = await startUpstreams(baseUrl);
  env = {
    PORTCULLIS_ISSUER: upstreams.provider.issuer,
    PORTCULLIS_CLIENT_ID: CLIENT_ID,
    PORTCULLIS_CLIENT_SECRET: upstreams.secret,
    PORTCULLIS_BASE_URL: baseUrl,
    PORTCULLIS_SESSION_KEYS: newSessionKey(),
    PORTCULLIS_APIS: JSON.stringify([{ path: '/api/todos', target: `${upstreams.api.url}/todos` }]),
    PORTCULLIS_REDIS_URL: redis.url,
    PORTCULLIS_READY_TIMEOUT: '1000',
  };
  procs.push(spawnPortcullis(['serve', '--port', String(portA)], env), spawnPortcullis(['serve', '--port', String(portB)], env));
  await Promise.all([procs[0]!.waitReady(baseUrl), procs[1]!.waitReady(otherUrl)]);
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await upstreams?.stop();
  await redis?.stop();
});

describe('portcullis serve with a Redis session store', () => {
  it('serves a session made on one instance from the other', async () => {
    const tab = new BffClient(baseUrl);
    await tab.login('alice');
    const other = new BffClient(otherUrl, tab.jar);
    const user = await other.user();
    expect(user.status).toBe(200);
    expect(user.body['sub']).toBe('alice');
    expect((await other.fetch('/api/todos')).status).toBe(200);
    const output = procs.map((p) => p.output()).join('\n');
    expect(output).not.toContain(upstreams.secret);
    expect(output).not.toContain(tab.sessionCookie()!);
    expect(output).not.toMatch(/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}/);
  });

  it('check does a round trip through Redis', async () => {
    const { code, output } = await runPortcullis(['check'], env);
    expect(code, output).toBe(0);
    expect(output).toMatch(new RegExp(`store\\s+${redis.url}/0: OK`));
  });

  it('/readyz names the store while Redis is down, and recovers', async () => {
    await redis.stop();
    try {
      const down = await poll(otherUrl, 503);
      const store = (down['checks'] as Record<string, { status: string; target: string }>)['store']!;
      expect(store.status).toBe('fail');
      expect(store.target).toContain(redis.url);
      expect((await fetch(`${otherUrl}/healthz`)).status).toBe(200);
    } finally {
      await redis.start();
    }
    await poll(otherUrl, 200);
  });
});

async function poll(url: string, status: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 10_000;
  let last: Record<string, unknown> = {};
  while (Date.now() < deadline) {
    const response = await fetch(`${url}/readyz`);
    last = (await response.json()) as Record<string, unknown>;
    if (response.status === status) return last;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`/readyz never answered ${status}: ${JSON.stringify(last)}`);
}

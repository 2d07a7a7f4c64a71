/**
 * `portcullis check` and `serve` against real redis-server processes: no
 * Redis password ever shown (given in the URL's user info or in its query,
 * Redis up or down), a Sentinel port given as a URL is caught by the round
 * trip (PING would pass), and a Redis without persistence is a warning.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, startSentinel, type RedisProcess } from '../helpers/server-redis.ts';
import { CLIENT_ID, freePort, newSessionKey, runPortcullis, spawnPortcullis, startUpstreams, type PortcullisProcess, type Upstreams } from './server-harness.ts';

let upstreams: Upstreams;
let baseEnv: Record<string, string>;
const redises: RedisProcess[] = [];
const procs: PortcullisProcess[] = [];

beforeAll(async () => {
  upstreams = await startUpstreams(`http://localhost:${await freePort()}`);
  baseEnv = {
    PORTCULLIS_ISSUER: upstreams.provider.issuer,
    PORTCULLIS_CLIENT_ID: CLIENT_ID,
    PORTCULLIS_CLIENT_SECRET: upstreams.secret,
    PORTCULLIS_BASE_URL: 'http://localhost:3000',
    PORTCULLIS_SESSION_KEYS: newSessionKey(),
    PORTCULLIS_READY_TIMEOUT: '1000',
  };
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await Promise.all(redises.map((r) => r.stop()));
  await upstreams?.stop();
});

async function serve(env: Record<string, string>): Promise<{ url: string; proc: PortcullisProcess }> {
  const port = await freePort();
  const proc = spawnPortcullis(['serve', '--port', String(port)], { ...baseEnv, ...env });
  procs.push(proc);
  return { url: `http://localhost:${port}`, proc };
}

async function readyz(url: string, status: number, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/readyz`);
      last = await response.text();
      if (response.status === status) return last;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`/readyz never answered ${status}: ${last}`);
}

describe.each([
  ['in the user info', (port: number, pw: string) => `redis://default:${pw}@127.0.0.1:${port}/2`],
  ['in the query', (port: number, pw: string) => `redis://127.0.0.1:${port}/2?password=${pw}`],
])('a Redis password %s', (_where, urlOf) => {
  const password = `redis-pw-${Math.random().toString(36).slice(2, 10)}`;
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedisServer(['--requirepass', password]);
    redises.push(redis);
  });

  it('never appears in /readyz (up and down), in check, nor in the logs', async () => {
    const env = { PORTCULLIS_REDIS_URL: urlOf(redis.port, password) };
    const target = `redis://127.0.0.1:${redis.port}/2`;
    const checked = await runPortcullis(['check'], { ...baseEnv, ...env });
    expect(checked.code, checked.output).toBe(0);
    expect(checked.output).toMatch(new RegExp(`store\\s+${target}: OK`));

    const { url, proc } = await serve(env);
    const up = await readyz(url, 200);
    expect(JSON.parse(up)).toMatchObject({ checks: { store: { status: 'ok', target } } });

    await redis.stop();
    let down: string;
    let failedCheck: { code: number | null; output: string };
    try {
      down = await readyz(url, 503);
      failedCheck = await runPortcullis(['check'], { ...baseEnv, ...env });
    } finally {
      await redis.start();
    }
    const store = (JSON.parse(down) as { checks: Record<string, { status: string; target: string; error: string }> }).checks['store']!;
    expect(store).toMatchObject({ status: 'fail', target });
    expect(store.error).toContain(target);
    expect(failedCheck.code, failedCheck.output).toBe(1);
    expect(failedCheck.output).toMatch(new RegExp(`store\\s+${target}: FAILED: .*${target}`));
    await readyz(url, 200);

    for (const text of [checked.output, up, down, failedCheck.output, proc.output()]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain('default:');
      expect(text).not.toContain('password=');
    }
  });
});

describe('the session store round trip', () => {
  it('a Sentinel port given as PORTCULLIS_REDIS_URL: check fails, /readyz is 503', async () => {
    const sentinel = await startSentinel();
    redises.push(sentinel);
    const env = { PORTCULLIS_REDIS_URL: `redis://127.0.0.1:${sentinel.port}` };
    const checked = await runPortcullis(['check'], { ...baseEnv, ...env });
    expect(checked.code, checked.output).toBe(1);
    expect(checked.output).toContain('portcullis check: FAILED (store)');
    expect(checked.output).toMatch(/Sentinel/);
    const { url } = await serve(env);
    const body = JSON.parse(await readyz(url, 503)) as { checks: Record<string, { status: string }> };
    expect(body.checks['store']!.status).toBe('fail');
    expect(body.checks['provider']!.status).toBe('ok');
  });

  it('check warns about a Redis without persistence, and still exits 0', async () => {
    const redis = await startRedisServer(['--save', '', '--appendonly', 'no']);
    redises.push(redis);
    const checked = await runPortcullis(['check'], { ...baseEnv, PORTCULLIS_REDIS_URL: `redis://127.0.0.1:${redis.port}` });
    expect(checked.code, checked.output).toBe(0);
    expect(checked.output).toMatch(/warning\s+redis has neither AOF nor RDB persistence: a Redis restart logs everyone out/);
  });

  it('sentinels + name reach the primary they monitor', async () => {
    const primary = await startRedisServer(['--appendonly', 'yes']);
    redises.push(primary);
    const sentinel = await startSentinel({ port: primary.port, name: 'portcullis-primary' });
    redises.push(sentinel);
    const checked = await runPortcullis(['check'], {
      ...baseEnv,
      PORTCULLIS_REDIS_SENTINELS: `127.0.0.1:${sentinel.port}`,
      PORTCULLIS_REDIS_SENTINEL_NAME: 'portcullis-primary',
    });
    expect(checked.code, checked.output).toBe(0);
    expect(checked.output).toMatch(/store\s+sentinel portcullis-primary via redis:\/\/127\.0\.0\.1:\d+: OK/);
  });
});

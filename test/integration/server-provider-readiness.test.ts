/**
 * A provider outage must not take every instance out of the load balancer:
 * `/readyz` reflects this instance (its store), reports the provider's state
 * in its body, and fails on it only with PORTCULLIS_READY_REQUIRES_PROVIDER.
 * Two `portcullis serve` processes against the real demo provider, which is
 * then stopped and restarted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BffClient } from '../helpers/bff-client.ts';
import { CLIENT_ID, freePort, newSessionKey, spawnPortcullis, startUpstreams, type PortcullisProcess, type Upstreams } from './server-harness.ts';

let upstreams: Upstreams;
let lenient: { url: string; proc: PortcullisProcess };
let strict: { url: string; proc: PortcullisProcess };

beforeAll(async () => {
  const [portA, portB] = [await freePort(), await freePort()];
  const baseUrl = `http://localhost:${portA}`;
  upstreams = await startUpstreams(baseUrl);
  const env = {
    PORTCULLIS_ISSUER: upstreams.provider.issuer,
    PORTCULLIS_CLIENT_ID: CLIENT_ID,
    PORTCULLIS_CLIENT_SECRET: upstreams.secret,
    PORTCULLIS_BASE_URL: baseUrl,
    PORTCULLIS_SESSION_KEYS: newSessionKey(),
    PORTCULLIS_READY_TIMEOUT: '1000',
  };
  lenient = { url: baseUrl, proc: spawnPortcullis(['serve', '--port', String(portA)], env) };
  strict = { url: `http://localhost:${portB}`, proc: spawnPortcullis(['serve', '--port', String(portB)], { ...env, PORTCULLIS_READY_REQUIRES_PROVIDER: 'true' }) };
  await Promise.all([lenient.proc.waitReady(lenient.url), strict.proc.waitReady(strict.url)]);
});

afterAll(async () => {
  await Promise.all([lenient?.proc.stop(), strict?.proc.stop()]);
  await upstreams?.stop();
});

interface Report {
  status: string;
  checks: Record<string, { status: string; required: boolean; error?: string }>;
}

/** Polls until `/readyz` reports the provider as `providerStatus`; returns the HTTP status and body. */
async function readyzWhen(url: string, providerStatus: 'ok' | 'fail'): Promise<{ status: number; body: Report }> {
  const deadline = Date.now() + 10_000;
  let last: { status: number; body: Report } | undefined;
  while (Date.now() < deadline) {
    const response = await fetch(`${url}/readyz`);
    last = { status: response.status, body: (await response.json()) as Report };
    if (last.body.checks['provider']?.status === providerStatus) return last;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`provider never ${providerStatus}: ${JSON.stringify(last)}`);
}

describe('/readyz while the provider is down', () => {
  it('stays 200 with the provider reported failed (and logged); 503 with readyRequiresProvider; both recover', async () => {
    const tab = new BffClient(lenient.url);
    await tab.login('alice');
    await upstreams.provider.stop();
    try {
      const down = await readyzWhen(lenient.url, 'fail');
      expect(down.status).toBe(200);
      expect(down.body.status).toBe('ok');
      expect(down.body.checks['provider']).toMatchObject({ status: 'fail', required: false });
      expect(down.body.checks['provider']!.error).toMatch(/unreachable/);
      expect(down.body.checks['store']).toMatchObject({ status: 'ok', required: true });
      // A signed-in user whose access token is still fresh is served meanwhile.
      expect((await tab.user()).status).toBe(200);

      const strictDown = await readyzWhen(strict.url, 'fail');
      expect(strictDown.status).toBe(503);
      expect(strictDown.body.checks['provider']).toMatchObject({ status: 'fail', required: true });
    } finally {
      await upstreams.provider.restart();
    }
    expect((await readyzWhen(lenient.url, 'ok')).status).toBe(200);
    expect((await readyzWhen(strict.url, 'ok')).status).toBe(200);
    const logged = lenient.proc
      .output()
      .split('\n')
      .filter((line) => line.includes('"check":"provider"'))
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(logged).toEqual(['readiness check failed', 'readiness check recovered']);
  });
});

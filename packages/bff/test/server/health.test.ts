import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerCheck, Readiness, type ReadinessCheck } from '../../src/server/health.ts';

let server: Server;
let url: string;
let answer: { status: number; body: string; delayMs?: number } = { status: 200, body: '{}' };
beforeAll(async () => {
  server = createServer((_req, res) => {
    setTimeout(() => res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body), answer.delayMs ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const runOnce = (check: ReadinessCheck, timeoutMs = 500) => new Readiness([check], { timeoutMs, cacheMs: 0 }).run();

describe('providerCheck', () => {
  it('passes when discovery names the issuer', async () => {
    answer = { status: 200, body: JSON.stringify({ issuer: url }) };
    expect((await runOnce(providerCheck(url))).status).toBe('ok');
  });

  it.each([
    [{ status: 500, body: '' }, 'answered HTTP 500'],
    [{ status: 200, body: 'not json' }, 'is not JSON'],
    [{ status: 200, body: JSON.stringify({ issuer: 'https://other' }) }, 'names issuer "https://other"'],
    [{ status: 200, body: '{}', delayMs: 1000 }, 'no answer within 300 ms'],
  ])('fails with a precise reason: %j', async (response, reason) => {
    answer = response;
    const report = await runOnce(providerCheck(url), 300);
    expect(report.status).toBe('unavailable');
    expect(report.checks['provider']!.error).toContain(reason);
  });
});

describe('Readiness', () => {
  it('caches the report briefly and runs concurrent probes once', async () => {
    let runs = 0;
    const check: ReadinessCheck = { name: 'x', target: 't', run: async () => void runs++ };
    const readiness = new Readiness([check], { cacheMs: 60_000 });
    await Promise.all([readiness.report(), readiness.report(), readiness.report()]);
    await readiness.report();
    expect(runs).toBe(1);
  });

  it('a failed check that is not required is reported but leaves the instance ready; changes are announced once', async () => {
    let healthy = false;
    const changes: string[] = [];
    const readiness = new Readiness(
      [
        {
          name: 'provider',
          target: 'p',
          required: false,
          run: async () => {
            if (!healthy) throw new Error('down');
          },
        },
        { name: 'store', target: 's', run: async () => {} },
      ],
      { cacheMs: 0, onChange: (name, result) => changes.push(`${name} ${result.status}`) },
    );
    const report = await readiness.run();
    expect(report.status).toBe('ok');
    expect(report.checks['provider']).toMatchObject({ status: 'fail', required: false, error: 'down' });
    expect(report.checks['store']).toMatchObject({ status: 'ok', required: true });
    await readiness.run();
    healthy = true;
    await readiness.run();
    await readiness.run();
    expect(changes).toEqual(['provider fail', 'provider ok']);
  });

  it('reports 503 material once stopping', async () => {
    const readiness = new Readiness([{ name: 'x', target: 't', run: async () => {} }]);
    readiness.markStopping();
    expect(await readiness.report()).toEqual({ status: 'unavailable', reason: 'shutting down', checks: {} });
  });
});

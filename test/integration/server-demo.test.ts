/**
 * The demo command (`npm run demo` → demo/start.ts): provider and API
 * in-process, the BFF as a `portcullis serve` child process. It prints the
 * URL once the child is ready, a login works through it, and SIGINT stops
 * everything, the child included.
 */
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureSpaBuilt } from '../helpers/browser.ts';
import { BffClient } from '../helpers/bff-client.ts';
import { freePort } from './server-harness.ts';
import { startDemoProcess } from '../helpers/demo-process.ts';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm run demo', () => {
  // The demo serves the SPA build: make sure there is one (the README's test command builds it first).
  beforeAll(ensureSpaBuilt, 120_000);

  it('runs the BFF through portcullis serve, and Ctrl-C stops everything', async () => {
    const [bff, provider, api] = [await freePort(), await freePort(), await freePort()];
    const demo = await startDemoProcess({ DEMO_BFF_PORT: String(bff), DEMO_PROVIDER_PORT: String(provider), DEMO_API_PORT: String(api) });
    const { child, exited } = demo;
    try {
      const baseUrl = `http://localhost:${bff}`;
      expect(demo.output()).toContain(`Open        ${baseUrl}`);
      expect(demo.output()).toContain('portcullis serve --config demo/portcullis.config.json');

      const tab = new BffClient(baseUrl);
      await tab.login('alice');
      expect((await tab.user()).status).toBe(200);
      expect((await tab.fetch('/api/todos')).status).toBe(200);
      expect((await fetch(`${baseUrl}/`)).headers.get('content-security-policy')).toContain("default-src 'self'");

      // The BFF is a child process of the demo, listening on the BFF port.
      const listener = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(child.pid)]).toString();
      const bffLine = listener.split('\n').find((line) => line.includes('portcullis.mjs serve'));
      expect(bffLine).toBeTruthy();
      const bffPid = Number(bffLine!.trim().split(/\s+/)[0]);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(alive(bffPid)).toBe(false);
      expect(demo.output()).toMatch(/shutting down/);
      await expect(fetch(`${baseUrl}/healthz`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

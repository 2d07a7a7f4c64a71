/**
 * SPA development through Vite's dev server (`DEMO_SPA_DEV=1 npm run demo`):
 * demo/start.ts starts the provider, the API, the BFF with baseUrl = the Vite
 * origin, and Vite (demo/spa/vite.config.ts) proxying /bff and /api to the
 * BFF. A login over plain HTTP goes through the dev server's origin from the
 * first redirect to the callback, the SPA is Vite's (HMR client, sources, not
 * the build), and Ctrl-C stops everything.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { BffClient } from '../helpers/bff-client.ts';
import { freePort } from './server-harness.ts';
import { startDemoProcess } from '../helpers/demo-process.ts';

/** A WebSocket handshake with Vite's HMR protocol: the status line it answers. */
function hmrHandshake(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: 'localhost',
      port,
      path: '/',
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol': 'vite-hmr' },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => resolve(res.statusCode ?? 0));
    req.on('error', reject);
    req.end();
  });
}

describe('DEMO_SPA_DEV=1 npm run demo', () => {
  it('logs in through the Vite dev server, which proxies /bff and /api to the BFF', async () => {
    const [bff, provider, api, vite] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const env = { DEMO_SPA_DEV: '1', DEMO_BFF_PORT: String(bff), DEMO_PROVIDER_PORT: String(provider), DEMO_API_PORT: String(api), DEMO_VITE_PORT: String(vite) };
    const demo = await startDemoProcess(env, { timeoutMs: 40_000 });
    const { child, exited } = demo;
    try {
      const origin = `http://localhost:${vite}`;
      expect(demo.output()).toContain(`Open        ${origin}   (Vite dev server with HMR; /bff and /api proxied to the BFF on http://localhost:${bff})`);

      // The page is Vite's: sources and the HMR client, not the build.
      const page = await (await fetch(`${origin}/`)).text();
      expect(page).toContain('/@vite/client');
      expect(page).toContain('/src/main.tsx');
      expect(await hmrHandshake(vite)).toBe(101);

      // The whole login stays on the Vite origin: /bff/login, the provider, /bff/callback (proxied), back to /.
      const tab = new BffClient(origin);
      const walk = await tab.login('alice');
      expect(walk.url).toBe(`${origin}/`);
      const user = await tab.user();
      expect(user.status).toBe(200);
      expect(user.body['sub']).toBe('alice');
      expect((await tab.fetch('/api/todos')).status).toBe(200);
      // The BFF itself knows the Vite origin as its baseUrl: its redirect URI points there.
      const login = await fetch(`http://localhost:${bff}/bff/login`, { redirect: 'manual' });
      expect(new URL(login.headers.get('location')!).searchParams.get('redirect_uri')).toBe(`${origin}/bff/callback`);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      await expect(fetch(`${origin}/`)).rejects.toThrow();
      await expect(fetch(`http://localhost:${bff}/healthz`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});

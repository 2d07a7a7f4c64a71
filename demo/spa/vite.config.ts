/**
 * Vite config of the demo SPA. `pnpm --filter @portcullis/demo build:spa`
 * (`vite build spa`) writes demo/spa/dist, which the demo BFF serves with its
 * CSP: the build must contain no inline script or style.
 *
 * Development (`DEMO_SPA_DEV=1 npm run demo`, see demo/start.ts): the dev
 * server on DEMO_VITE_PORT (5173; its HMR WebSocket on the same port) is the
 * origin the browser sees, and it proxies /bff and /api to the BFF on
 * DEMO_BFF_PORT (3000). The BFF's baseUrl must then be this origin
 * (http://localhost:5173) and the provider must know
 * http://localhost:5173/bff/callback as a redirect URI: the session cookie is
 * set on, and sent to, the origin the SPA runs on, and redirects come back to
 * it. The Host header is passed as is (no changeOrigin): the BFF builds its
 * URLs from baseUrl, never from Host.
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type ProxyOptions } from 'vite';

/** A port from the environment, or the default. */
function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65_535) throw new Error(`${name} must be a port number, got "${raw}"`);
  return value;
}

/** The dev server's proxy: the BFF's endpoints and the APIs it proxies, WebSockets included. */
export function bffProxy(bffPort: number): Record<string, ProxyOptions> {
  const target = `http://localhost:${bffPort}`;
  return {
    '/bff': { target, changeOrigin: false },
    '/api': { target, changeOrigin: false, ws: true },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  server: {
    host: 'localhost',
    port: port('DEMO_VITE_PORT', 5173),
    // The port is the origin registered at the provider: another one would break the login.
    strictPort: true,
    proxy: bffProxy(port('DEMO_BFF_PORT', 3000)),
  },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    // The CSP allows data: URLs for images only (a data: font would be blocked): emit files.
    assetsInlineLimit: 0,
  },
});

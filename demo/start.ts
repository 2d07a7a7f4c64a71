/**
 * `npm run demo`: the OpenID provider on :4000, the todo API on :4001, and
 * the BFF serving the SPA on :3000. Every port, lifetime and secret has an
 * environment variable (see the README); secrets default to random values
 * generated at each start.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createConsoleLogger } from '@portcullis/bff';
import { startDemoStack } from './stack.ts';

const env = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`${name} must be a whole number, got "${raw}"`);
    process.exit(2);
  }
  return value;
};

const spaDir = fileURLToPath(new URL('./spa/dist', import.meta.url));

const stack = await startDemoStack({
  bffPort: env('DEMO_BFF_PORT', 3000),
  providerPort: env('DEMO_PROVIDER_PORT', 4000),
  apiPort: env('DEMO_API_PORT', 4001),
  accessTokenTtl: env('DEMO_ACCESS_TOKEN_TTL', 300),
  refreshTokenTtl: env('DEMO_REFRESH_TOKEN_TTL', 86_400),
  ...(process.env['DEMO_CLIENT_SECRET'] ? { clientSecret: process.env['DEMO_CLIENT_SECRET'] } : {}),
  ...(process.env['DEMO_SESSION_KEY'] ? { sessionKeys: [process.env['DEMO_SESSION_KEY']] } : {}),
  logger: createConsoleLogger((process.env['PORTCULLIS_LOG_LEVEL'] as 'info' | undefined) ?? 'info'),
  ...(existsSync(spaDir) ? { spaDir } : {}),
}).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`The demo could not start: ${message}${/EADDRINUSE/.test(message) ? ' (a port is taken: stop the other process or set DEMO_BFF_PORT / DEMO_PROVIDER_PORT / DEMO_API_PORT)' : ''}`);
  process.exit(1);
});

console.log(`
  Portcullis demo is ready.

    Open        ${stack.baseUrl}
    Users       alice / alice    bob / bob
    Provider    ${stack.provider.issuer}
    API         ${stack.api.url}

  Ctrl-C stops everything.
`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\n  Stopping…');
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

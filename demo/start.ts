/**
 * `npm run demo`: the OpenID provider on :4000 and the todo API on :4001 run
 * in this process; the BFF serving the SPA on :3000 is the real
 * `portcullis serve --config demo/portcullis.config.json`, as a child process
 * that gets its secrets through its environment (nothing secret is written to
 * disk, except the FAPI 2 client key below).
 *
 * Environment (all optional):
 *   DEMO_BFF_PORT (3000), DEMO_PROVIDER_PORT (4000), DEMO_API_PORT (4001),
 *   DEMO_ACCESS_TOKEN_TTL (300 s), DEMO_REFRESH_TOKEN_TTL (86400 s),
 *   DEMO_CLIENT_SECRET, DEMO_SESSION_KEY (random at each start by default),
 *   DEMO_REDIS_URL (sessions in Redis: PORTCULLIS_REDIS_URL of every BFF),
 *   DEMO_BFF_INSTANCES (1; 2 needs DEMO_REDIS_URL: a second BFF on
 *   DEMO_BFF_PORT + 2 with the same public baseUrl, as if both stood behind
 *   one load balancer), DEMO_HOST (localhost), PORTCULLIS_LOG_LEVEL (info),
 *   DEMO_SECURITY_PROFILE (unset, or `fapi2`: see below).
 *
 * FAPI 2.0 (`DEMO_SECURITY_PROFILE=fapi2`): the provider requires pushed
 * authorization requests, private_key_jwt and DPoP-bound tokens, and the API
 * refuses bearer tokens. A fresh EC P-256 key pair is generated at each
 * start; its public JWK is registered at the provider and the BFF gets
 * PORTCULLIS_PROFILE=fapi2, PORTCULLIS_CLIENT_AUTHENTICATION=private_key_jwt and
 * PORTCULLIS_CLIENT_PRIVATE_KEY_FILE: the private JWK in a file of a fresh
 * temporary directory (mode 0600), the one secret written to disk, removed
 * when the demo stops. `pnpm --filter @portcullis/demo job` needs the same
 * DEMO_SECURITY_PROFILE.
 *
 * SPA development (`DEMO_SPA_DEV=1`, or `--spa-dev`): Vite's dev server with
 * hot module replacement on DEMO_VITE_PORT (5173) serves the SPA from
 * demo/spa/src and proxies /bff and /api to the BFF (demo/spa/vite.config.ts).
 * The browser only ever sees the Vite origin, so that origin is the BFF's
 * baseUrl, and the redirect URI registered at the provider is
 * http://localhost:5173/bff/callback, which Vite proxies to the BFF: the
 * session cookie is then set by, and sent to, the origin the SPA runs on. The
 * BFF serves no static files in this mode (no build needed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { JWK } from 'jose';
import { startTodoApi, type TodoApi } from './api/create-api.ts';
import { demoJobClient } from './job.ts';
import { startDemoProvider, type DemoProvider } from './provider/create-provider.ts';
import { generateClientKey } from './provider/fapi2-client.ts';

const fail = (message: string, code = 2): never => {
  console.error(`\n  The demo could not start: ${message}\n`);
  process.exit(code);
};

const env = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) fail(`${name} must be a whole number, got "${raw}"`);
  return value;
};

const host = process.env['DEMO_HOST'] || 'localhost';
const spaDev = process.argv.includes('--spa-dev') || ['1', 'true', 'yes'].includes((process.env['DEMO_SPA_DEV'] ?? '').toLowerCase());
const vitePort = env('DEMO_VITE_PORT', 5173);
const bffPort = env('DEMO_BFF_PORT', 3000);
const providerPort = env('DEMO_PROVIDER_PORT', 4000);
const apiPort = env('DEMO_API_PORT', 4001);
const accessTokenTtl = env('DEMO_ACCESS_TOKEN_TTL', 300);
const refreshTokenTtl = env('DEMO_REFRESH_TOKEN_TTL', 86_400);
const instances = env('DEMO_BFF_INSTANCES', 1);
const redisUrl = process.env['DEMO_REDIS_URL'] || undefined;
const clientSecret = process.env['DEMO_CLIENT_SECRET'] || randomBytes(24).toString('base64url');
const sessionKey = process.env['DEMO_SESSION_KEY'] || randomBytes(32).toString('base64url');
const profile = process.env['DEMO_SECURITY_PROFILE'] || undefined;
if (profile !== undefined && profile !== 'fapi2') fail(`DEMO_SECURITY_PROFILE must be fapi2 or unset, got "${profile}"`);
const fapi2 = profile === 'fapi2';

if (instances < 1 || instances > 4) fail(`DEMO_BFF_INSTANCES must be 1 to 4, got ${instances}`);
if (instances > 1 && !redisUrl) {
  fail(
    `DEMO_BFF_INSTANCES=${instances} needs DEMO_REDIS_URL (e.g. DEMO_REDIS_URL=redis://localhost:6379): ` +
      'with the in-memory store each BFF would know only its own sessions and logins started on one would fail on the other.',
  );
}
if (bffPort === 0) fail('DEMO_BFF_PORT must be a fixed port: the provider registers the redirect URI before the BFF starts');
if (spaDev && instances > 1) fail('DEMO_SPA_DEV runs one BFF behind the Vite dev server: unset DEMO_BFF_INSTANCES');
if (spaDev && (vitePort === 0 || vitePort === bffPort)) fail(`DEMO_VITE_PORT must be a fixed port other than DEMO_BFF_PORT (${bffPort}): it is the origin registered at the provider`);

const configFile = fileURLToPath(new URL('./portcullis.config.json', import.meta.url));
const spaDir = fileURLToPath(new URL('./spa/dist', import.meta.url));
if (!spaDev && !existsSync(spaDir)) fail('the SPA is not built (demo/spa/dist is missing): run `pnpm --filter @portcullis/demo build:spa`, or `npm run demo`, which builds it');
// The `portcullis` command of @portcullis/bff (its bin), run with this Node.
const portcullisBin = fileURLToPath(new URL('../bin/portcullis.mjs', import.meta.resolve('@portcullis/bff')));

// The public origin: the BFF's own port, or in SPA development the Vite dev server in front of it.
const baseUrl = `http://${host}:${spaDev ? vitePort : bffPort}`;
const apiAudience = `http://${host}:${apiPort}`;
const bffPorts = Array.from({ length: instances }, (_, i) => bffPort + 2 * i);

let provider: DemoProvider | undefined;
let api: TodoApi | undefined;
/** FAPI 2: the BFF's public key, and the temporary directory of its private key file. */
let clientKey: { publicJwk: JWK; dir: string; file: string } | undefined;
let vite: { close(): Promise<void> } | undefined;
const children = new Map<number, ChildProcess>();
let stopping = false;
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));
// The key file goes however this process ends (stopAll, an error, process.exit).
process.on('exit', () => clientKey && rmSync(clientKey.dir, { recursive: true, force: true }));

try {
  if (fapi2) {
    const { privateJwk, publicJwk } = await generateClientKey();
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-demo-')); // mode 0700
    clientKey = { publicJwk, dir, file: join(dir, 'client-key.json') };
    writeFileSync(clientKey.file, JSON.stringify(privateJwk), { mode: 0o600, flag: 'wx' });
  }
  provider = await startDemoProvider({
    port: providerPort,
    host,
    apiAudience,
    accessTokenTtl,
    refreshTokenTtl,
    ...(fapi2 ? { securityProfile: 'fapi2' as const } : {}),
    clients: [
      {
        clientId: 'portcullis-demo-bff',
        ...(clientKey ? { tokenEndpointAuthMethod: 'private_key_jwt' as const, jwks: { keys: [clientKey.publicJwk] } } : { clientSecret }),
        clientName: 'Portcullis demo',
        grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
        redirectUris: [`${baseUrl}/bff/callback`],
        postLogoutRedirectUris: [`${baseUrl}/`],
        backchannelLogoutUri: `${baseUrl}/bff/backchannel-logout`,
      },
      demoJobClient(fapi2 ? 'fapi2' : undefined), // `pnpm --filter @portcullis/demo job`: machine-to-machine calls
    ],
  });
  api = await startTodoApi({ port: apiPort, host, issuer: provider.issuer, audience: apiAudience, requireScopes: true, ...(fapi2 ? { dpop: { required: true } } : {}) });
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  await stopAll(1, `${message}${/EADDRINUSE/.test(message) ? ' (a port is taken: stop the other process or set DEMO_PROVIDER_PORT / DEMO_API_PORT)' : ''}`);
}

for (const port of bffPorts) spawnBff(port);

try {
  await Promise.all(bffPorts.map((port) => waitReady(port, 30_000)));
  if (spaDev) vite = await startVite();
} catch (err) {
  await stopAll(1, err instanceof Error ? err.message : String(err));
}

const others = bffPorts.slice(1).map((port) => `http://${host}:${port}`);
console.log(`
  Portcullis demo is ready.

    Open        ${baseUrl}${spaDev ? `   (Vite dev server with HMR; /bff and /api proxied to the BFF on http://${host}:${bffPort})` : ''}
    Users       alice / alice    bob / bob
    Provider    ${provider!.issuer}
    API         ${api!.url}
    BFF         portcullis serve ${spaDev ? '(no static files: Vite serves the SPA)' : '--config demo/portcullis.config.json'} (${instances === 1 ? 'one instance' : `${instances} instances: ${[baseUrl, ...others].join(', ')}, same baseUrl`})
    Sessions    ${redisUrl ? `Redis ${redactUrl(redisUrl)}` : 'in memory'}${fapi2 ? `\n    Security    FAPI 2.0: PAR, private_key_jwt, DPoP-bound tokens (the API refuses bearer tokens)\n    Client key  ${clientKey?.file ?? ''} (removed at exit; PORTCULLIS_CLIENT_PRIVATE_KEY_FILE for portcullis check)` : ''}

  Ctrl-C stops everything.
`);

/** Starts one `portcullis serve` child on `port`; its log lines are printed compactly. */
function spawnBff(port: number): void {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PORTCULLIS_ISSUER: provider!.issuer,
    PORTCULLIS_BASE_URL: baseUrl,
    PORTCULLIS_PORT: String(port),
    PORTCULLIS_APIS: JSON.stringify([{ path: '/api/todos', target: `${api!.url}/todos`, token: 'user' }]),
    PORTCULLIS_SESSION_KEYS: sessionKey,
    PORTCULLIS_LOG_LEVEL: process.env['PORTCULLIS_LOG_LEVEL'] || 'info',
    // fapi2 implies DPoP and PAR in the BFF; the key file is the only secret on disk.
    ...(clientKey
      ? { PORTCULLIS_PROFILE: 'fapi2', PORTCULLIS_CLIENT_AUTHENTICATION: 'private_key_jwt', PORTCULLIS_CLIENT_PRIVATE_KEY_FILE: clientKey.file }
      : { PORTCULLIS_CLIENT_SECRET: clientSecret }),
  };
  delete childEnv['PORTCULLIS_CONFIG'];
  if (clientKey) for (const name of ['PORTCULLIS_CLIENT_SECRET', 'PORTCULLIS_CLIENT_SECRET_FILE', 'PORTCULLIS_CLIENT_PRIVATE_KEY']) delete childEnv[name];
  if (redisUrl) childEnv['PORTCULLIS_REDIS_URL'] = redisUrl;
  let args = ['serve', '--config', configFile];
  if (spaDev) {
    // The config file's static directory is not wanted (nor maybe built): its other settings come by variable.
    const file = JSON.parse(readFileSync(configFile, 'utf8')) as { clientId: string; scope: string };
    Object.assign(childEnv, { PORTCULLIS_CLIENT_ID: file.clientId, PORTCULLIS_SCOPE: file.scope });
    args = ['serve'];
  }
  // The IPC channel ties the child to this process: if this one dies, the child shuts down.
  const child = spawn(process.execPath, [portcullisBin, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  children.set(port, child);
  const tag = instances > 1 ? `bff:${port}` : 'bff';
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => console.log(formatLine(tag, line)));
  }
  child.on('exit', (code, signal) => {
    children.delete(port);
    if (!stopping) void stopAll(1, `the BFF on port ${port} exited (${signal ?? `code ${code}`})`);
  });
}

/** Vite's dev server on the public origin, with demo/spa/vite.config.ts (its proxy targets DEMO_BFF_PORT). */
async function startVite(): Promise<{ close(): Promise<void> }> {
  process.env['DEMO_BFF_PORT'] = String(bffPort);
  process.env['DEMO_VITE_PORT'] = String(vitePort);
  const { createServer } = await import('vite');
  const server = await createServer({ configFile: fileURLToPath(new URL('./spa/vite.config.ts', import.meta.url)), server: { host, port: vitePort, strictPort: true }, logLevel: 'warn' });
  try {
    await server.listen();
  } catch (err) {
    await server.close();
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`the Vite dev server could not start on port ${vitePort}: ${message}${/in use/i.test(message) ? ' (set DEMO_VITE_PORT, and open that port instead)' : ''}`);
  }
  return server;
}

/** Polls the child's /readyz until it answers 200. */
async function waitReady(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!children.has(port)) throw new Error(`the BFF on port ${port} exited before it was ready`);
    try {
      const response = await fetch(`http://${host}:${port}/readyz`, { signal: AbortSignal.timeout(3000) });
      if (response.status === 200) return;
      last = `${response.status} ${await response.text()}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the BFF on port ${port} was not ready within ${timeoutMs / 1000} s (last /readyz: ${last})`);
}

/** Stops the children (gracefully, SIGKILL after 15 s), then the API and the provider; exits. */
async function stopAll(code: number, reason?: string): Promise<never> {
  if (stopping) return new Promise<never>(() => {});
  stopping = true;
  if (reason) console.error(`\n  ${code ? 'The demo stops' : 'Stopping'}: ${reason}`);
  else console.log('\n  Stopping…');
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          child.once('exit', () => {
            clearTimeout(killer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  await vite?.close().catch(() => {});
  await api?.stop().catch(() => {});
  await provider?.stop().catch(() => {});
  process.exit(code); // the 'exit' handler removes the key file
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.href;
  } catch {
    return '(invalid URL)';
  }
}

/** A pino JSON line as `12:00:01 bff info request GET /bff/user 200 3.1ms`, anything else as is. */
function formatLine(tag: string, line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `  ${tag}  ${line}`;
  }
  if (typeof entry !== 'object' || entry === null) return `  ${tag}  ${line}`;
  const { time, level, msg, pid: _pid, hostname: _hostname, name: _name, reqId: _reqId, ...fields } = entry;
  const clock = typeof time === 'string' ? time.slice(11, 19) : '';
  let details: string;
  if (msg === 'request') {
    details = `${String(fields['method'])} ${String(fields['path'])} ${String(fields['status'])} ${String(fields['durationMs'])}ms`;
  } else {
    details = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
  }
  return `  ${clock} ${tag} ${String(level).padEnd(5)} ${String(msg)}${details ? ` ${details}` : ''}`;
}

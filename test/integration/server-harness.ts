/**
 * Runs the real `portcullis` command as a child process against an
 * in-process demo provider and todo API (and a slow upstream), for the
 * server-*.test.ts suites.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTodoApi, type TodoApi } from '../../demo/api/create-api.ts';
import { startDemoProvider, type DemoProvider } from '../../demo/provider/create-provider.ts';
import { freePort } from '../helpers/free-port.ts';

export const BIN = fileURLToPath(new URL('../../packages/bff/bin/portcullis.mjs', import.meta.url));
export const CLIENT_ID = 'portcullis-server-test';

/** A free TCP port (listen on 0, close). */
export { freePort };

/** An upstream that answers after `delayMs` with a large JSON body. */
export interface SlowUpstream {
  url: string;
  /** Requests received so far. */
  hits: number;
  close(): Promise<void>;
}

export async function startSlowUpstream(delayMs = 1000): Promise<SlowUpstream> {
  const state = { hits: 0 };
  const server: Server = createServer((req, res) => {
    state.hits += 1;
    setTimeout(() => {
      const body = JSON.stringify({ slow: true, path: req.url, padding: 'x'.repeat(200_000) });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    get hits() {
      return state.hits;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Provider + todo API with a client registered for `baseUrl`. */
export interface Upstreams {
  provider: DemoProvider;
  api: TodoApi;
  secret: string;
  stop(): Promise<void>;
}

export async function startUpstreams(baseUrl: string): Promise<Upstreams> {
  const secret = `srv-secret-${randomBytes(18).toString('base64url')}`;
  const apiPort = await freePort();
  const apiAudience = `http://localhost:${apiPort}`;
  const provider = await startDemoProvider({
    host: 'localhost',
    apiAudience,
    clients: [
      {
        clientId: CLIENT_ID,
        clientSecret: secret,
        grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
        redirectUris: [`${baseUrl}/bff/callback`],
        postLogoutRedirectUris: [`${baseUrl}/`],
        backchannelLogoutUri: `${baseUrl}/bff/backchannel-logout`,
      },
    ],
  });
  const api = await startTodoApi({ port: apiPort, host: 'localhost', issuer: provider.issuer, audience: apiAudience });
  return {
    provider,
    api,
    secret,
    async stop() {
      await api.stop();
      await provider.stop();
    },
  };
}

/** A static build: index.html, a hashed asset, a favicon and a nested page. */
export function writeSpaBuild(dir: string): string {
  mkdirSync(path.join(dir, 'assets'), { recursive: true });
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>SPA</title><div id="root"></div><script type="module" src="/assets/index-AbC12dEf.js"></script>');
  writeFileSync(path.join(dir, 'assets', 'index-AbC12dEf.js'), 'console.log("spa");\n');
  writeFileSync(path.join(dir, 'assets', 'index-Xy9_8wVu.css'), 'body{margin:0}\n');
  writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(path.join(dir, '.env'), 'SECRET=do-not-serve\n');
  return dir;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `portcullis-${prefix}-`));
}

/** A 32+ character session key. */
export const newSessionKey = (): string => randomBytes(32).toString('base64url');

/** The environment a child gets: PATH and the given variables, nothing inherited that starts with PORTCULLIS_. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp', ...env };
}

/** A running `portcullis` child process. */
export interface PortcullisProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Polls `/readyz` on `url` until 200. */
  waitReady(url: string, timeoutMs?: number): Promise<void>;
  /** SIGTERM and wait (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

export function spawnPortcullis(args: string[], env: Record<string, string>, cwd?: string): PortcullisProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env), cwd: cwd ?? process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    output: () => out,
    exited,
    async waitReady(url, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (done) throw new Error(`portcullis exited before it was ready:\n${out}`);
        try {
          const response = await fetch(`${url}/readyz`);
          if (response.status === 200) return;
        } catch {
          // not listening yet
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`portcullis not ready within ${timeoutMs} ms:\n${out}`);
    },
    async stop() {
      if (done) return;
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Runs `portcullis` to completion. */
export async function runPortcullis(args: string[], env: Record<string, string>, cwd?: string): Promise<{ code: number | null; output: string }> {
  const proc = spawnPortcullis(args, env, cwd);
  const { code } = await proc.exited;
  return { code, output: proc.output() };
}

/** The parsed JSON log lines of a process's output. */
export function logLines(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

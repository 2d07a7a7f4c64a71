/**
 * Real redis-server processes with the settings the server tests need and
 * test/helpers/redis.ts does not give: a password, no persistence, a
 * Sentinel. Each listens on 127.0.0.1 on a free port, its files in a temp
 * directory; `stop()` kills it (like a crash), `start()` brings it back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.ts';

/** A running redis-server (plain or sentinel). */
export interface RedisProcess {
  port: number;
  /** Everything it printed so far. */
  output(): string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** Resolves once something answers `+PONG` (or `-NOAUTH`: it is up) on the port. */
async function waitForPong(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${output()}`);
    const answer = await new Promise<string>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      let data = '';
      socket.on('connect', () => socket.write('PING\r\n'));
      socket.on('data', (chunk: Buffer) => {
        data += chunk.toString();
        socket.destroy();
        resolve(data);
      });
      socket.on('error', () => resolve(''));
    });
    if (/^\+PONG|^-NOAUTH/.test(answer)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server on ${port} did not answer: ${output()}`);
}

function launcher(args: (port: number, dir: string) => string[]): () => Promise<RedisProcess> {
  return async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-srv-redis-'));
    let child: ChildProcess | undefined;
    let out = '';
    const start = async () => {
      if (child && child.exitCode === null) return;
      const current = spawn('redis-server', args(port, dir), { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
      current.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      current.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child = current;
      await waitForPong(port, current, () => out);
    };
    await start();
    return {
      port,
      output: () => out,
      start,
      async stop() {
        const current = child;
        child = undefined;
        if (!current || current.exitCode !== null) return;
        await new Promise<void>((resolve) => {
          current.once('exit', () => resolve());
          current.kill('SIGKILL');
        });
      },
    };
  };
}

/** A redis-server with extra arguments, e.g. `['--requirepass', pw]` or `['--save', '', '--appendonly', 'no']`. */
export function startRedisServer(extra: string[] = []): Promise<RedisProcess> {
  return launcher((port, dir) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...extra])();
}

/** A Redis Sentinel (`redis-server --sentinel`), monitoring `primary` as `name` when given. */
export function startSentinel(primary?: { port: number; name: string }): Promise<RedisProcess> {
  return launcher((port, dir) => {
    // Sentinel rewrites its config file: it must be its own, writable.
    const file = path.join(dir, 'sentinel.conf');
    const lines = [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`];
    if (primary) lines.push(`sentinel monitor ${primary.name} 127.0.0.1 ${primary.port} 1`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    return [file, '--sentinel'];
  })();
}

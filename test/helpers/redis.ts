/**
 * A real redis-server for tests, on a free port, with an append-only file in
 * a temp directory. It can be killed and started again on the same port
 * (fault tests) without losing data. The README's
 * test command installs the Debian package when it is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A running test Redis (stop it at the end: its data directory is removed then). */
export interface TestRedis {
  url: string;
  port: number;
  /** Stops the server (SIGKILL, like a crash; its append-only file keeps the data). */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Every key with its value (strings, sorted-set members), as `redis-cli --scan` + GET/ZRANGE would show. */
  dump(): Promise<Array<{ key: string; value: string }>>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function launch(port: number, dir: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    // Append-only file in a temp dir: data survives a stop/start, as with a real Redis restart.
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, '--protected-mode', 'yes'];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 5000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`redis-server could not run (${err.message}): run the README's test command, which installs it`));
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/Ready to accept connections/.test(output)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
  });
}

/** Starts a redis-server on a free port, its data in a new temp directory. */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-redis-'));
  let child: ChildProcess | undefined = await launch(port, dir);
  const url = `redis://127.0.0.1:${port}`;
  return {
    url,
    port,
    async stop() {
      const current = child;
      child = undefined;
      if (!current || current.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        current.once('exit', () => resolve());
        current.kill('SIGKILL');
      });
    },
    async start() {
      if (!child) child = await launch(port, dir);
    },
    async dump() {
      const client = new Redis(url);
      try {
        const keys = await client.keys('*');
        const entries: Array<{ key: string; value: string }> = [];
        for (const key of keys) {
          const type = await client.type(key);
          const value = type === 'string' ? ((await client.get(key)) ?? '') : type === 'zset' ? (await client.zrange(key, '0', '-1')).join(' ') : type;
          entries.push({ key, value });
        }
        return entries;
      } finally {
        client.disconnect();
      }
    },
  };
}

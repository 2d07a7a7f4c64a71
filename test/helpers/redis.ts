/**
 * A real redis-server for tests, on a free port, with an append-only file in
 * a temp directory. It can be killed and started again on the same port
 * (fault tests) without losing data. The README's
 * test command installs the Debian package when it is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { bindable, freePort } from './free-port.ts';

/** A running test Redis (stop it at the end; its data directory stays in the OS temp dir). */
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

export { freePort };

/** Whether `port` can be bound on 127.0.0.1 right now. */
export const isFree = (port: number): Promise<boolean> => bindable(port, '127.0.0.1');

/**
 * Starts `redis-server` with `args` and resolves once it accepts connections. Its
 * output is drained for good (a full pipe would block the server) and the last
 * few kB are kept for error messages.
 */
export function spawnRedis(args: string[], ready: RegExp = /Ready to accept connections/): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let started = false;
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 5000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`redis-server could not run (${err.message}): run the README's test command, which installs it`));
    });
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
      if (!started && ready.test(output)) {
        started = true;
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!started) reject(new Error(`redis-server exited (${code}): ${output}`));
    });
  });
}

function launch(port: number, dir: string): Promise<ChildProcess> {
  // Append-only file in a temp dir: data survives a stop/start, as with a real Redis restart.
  return spawnRedis(['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, '--protected-mode', 'yes']);
}

/** Kills `child` (SIGKILL, like a crash) and waits for it to exit. */
export async function kill(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
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
      await kill(current);
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

/**
 * Benchmark targets run in their own processes (their own event loop, not
 * the load generator's): forked with the same TypeScript loader as the
 * parent (tsx), talking over IPC. A target sends `{ type: 'ready', url }`
 * once it listens; it answers `{ type: 'cpu' }` with its CPU time so far and
 * exits on `{ type: 'stop' }` (or when the parent goes away).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Messages a target sends. */
export type TargetMessage = { type: 'ready'; url: string; info?: Record<string, unknown> } | { type: 'cpu'; user: number; system: number } | { type: 'error'; message: string };

/** A running target process. */
export interface Target {
  name: string;
  url: string;
  info: Record<string, unknown>;
  child: ChildProcess;
  /** The target's CPU time (user + system), microseconds since it started. */
  cpu(): Promise<number>;
  /** Asks the target to exit (it flushes a CPU profile if it has one), killing it after 15 s. */
  stop(): Promise<void>;
}

export interface StartTargetOptions {
  env?: Record<string, string | undefined>;
  /** Extra node flags (e.g. `--cpu-prof`). */
  nodeFlags?: string[];
  timeoutMs?: number;
}

/** Forks `bench/targets/<file>` and resolves once it listens. */
export function startTarget(name: string, file: string, options: StartTargetOptions = {}): Promise<Target> {
  const path = fileURLToPath(new URL(`../targets/${file}`, import.meta.url));
  const child = fork(path, [], {
    // The parent's loader flags (tsx) so that the child runs TypeScript too.
    execArgv: [...withoutProfiling(process.execArgv), ...(options.nodeFlags ?? [])],
    env: { ...process.env, NODE_ENV: 'production', ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name}: target did not start within ${options.timeoutMs ?? 30_000} ms`));
    }, options.timeoutMs ?? 30_000);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${name}: target exited (${code}) before it was ready`));
    };
    child.once('exit', onExit);
    child.on('message', function onMessage(message: TargetMessage) {
      if (message.type === 'error') {
        clearTimeout(timer);
        child.off('exit', onExit);
        child.kill('SIGKILL');
        reject(new Error(`${name}: ${message.message}`));
      }
      if (message.type !== 'ready') return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('message', onMessage);
      resolve(handle(name, child, message.url, message.info ?? {}));
    });
  });
}

/** `argv` without the CPU profiling flags (and their values): a target's own children are not profiled. */
function withoutProfiling(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--cpu-prof-dir' || argv[i] === '--cpu-prof-interval' || argv[i] === '--cpu-prof-name') i++;
    else if (!argv[i]!.startsWith('--cpu-prof')) out.push(argv[i]!);
  }
  return out;
}

function handle(name: string, child: ChildProcess, url: string, info: Record<string, unknown>): Target {
  return {
    name,
    url,
    info,
    child,
    cpu() {
      return new Promise((resolve, reject) => {
        const onMessage = (message: TargetMessage) => {
          if (message.type !== 'cpu') return;
          child.off('message', onMessage);
          resolve(message.user + message.system);
        };
        child.on('message', onMessage);
        if (!child.send({ type: 'cpu' })) reject(new Error(`${name}: IPC closed`));
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        if (child.connected) child.send({ type: 'stop' });
        else child.kill('SIGTERM');
      });
    },
  };
}

/**
 * The child side: reports `url` as ready, answers CPU queries, and on stop
 * runs `close` then exits (normally, so that --cpu-prof writes its profile).
 */
export function serveTarget(url: string, close: () => Promise<void> | void, info: Record<string, unknown> = {}): void {
  const send = (message: TargetMessage) => process.send?.(message);
  process.on('message', async (message: { type: string }) => {
    if (message.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ type: 'cpu', user, system });
    } else if (message.type === 'stop') {
      try {
        await close();
      } finally {
        process.exit(0);
      }
    }
  });
  // An orphan (parent crashed or was killed) must not keep running.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', url, info });
}

/** The child side of a start-up failure. */
export function failTarget(err: unknown): void {
  const message: TargetMessage = { type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  if (process.send) process.send(message, () => process.exit(1));
  else {
    console.error(message.message);
    process.exit(1);
  }
}

/**
 * `npm run demo` as a child process (demo/start.ts through tsx), for the
 * tests that try it as a user would: started with the given environment
 * (only PATH and HOME inherited), its output collected, resolved once it
 * says it is ready. A demo that does not get there is killed, and the error
 * shows what it printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A running demo. */
export interface DemoProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Its exit code, once it exits. */
  exited: Promise<number | null>;
}

/** Starts the demo with `env` and waits for its "ready" banner. */
export async function startDemoProcess(env: Record<string, string>, { timeoutMs = 20_000 }: { timeoutMs?: number } = {}): Promise<DemoProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'demo/start.ts'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + timeoutMs;
  while (!output.includes('Portcullis demo is ready')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      if (child.exitCode === null) child.kill('SIGKILL');
      throw new Error(`the demo did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, output: () => output, exited };
}

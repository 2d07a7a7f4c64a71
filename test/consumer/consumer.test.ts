/**
 * The packages as a new user gets them from the registry, outside this
 * workspace: each package is packed with plain `npm pack` (what `npm publish`
 * uploads; its prepack builds dist/ and writes the published package.json),
 * the three tarballs and their peers are installed with npm into a fresh
 * project in the OS temp dir (no workspace, no pnpm), and then:
 *   - the tarballs hold dist/ (ESM + .d.ts), LICENSE, README (+ DEPLOY.md and the bin for bff), no src/;
 *   - plain Node imports each package;
 *   - a strict `tsc` compiles the ```ts / ```tsx samples of the READMEs against the installed types
 *     (a sample preceded by `<!-- no-compile -->` is skipped);
 *   - the installed `portcullis` bin (`npx portcullis serve`, configured by environment variables)
 *     logs a user in end to end against the demo's OpenID provider running in this process;
 *   - the same on Koa 2 (a second fresh project with koa 2.13 and @types/koa 2), the oldest Koa
 *     the packages declare.
 *
 * Packing happens in a copy of each package (its node_modules linked, not
 * copied): packing in place would leave dist/ in the shared tree and, for the
 * second the pack takes, a package.json pointing at dist/ that the other test
 * projects running alongside would read.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BffClient } from '../helpers/bff-client.ts';
import { CLIENT_ID, freePort, newSessionKey, startUpstreams, type Upstreams } from '../integration/server-harness.ts';

const repo = realpathSync(fileURLToPath(new URL('../../', import.meta.url)));
const PACKAGES = ['bff', 'react', 'api-guard'] as const;
type Pkg = (typeof PACKAGES)[number];
/** Peers (and what the README samples need), at the majors the packages are tested with. */
const PEERS = ['koa@^3', '@koa/router@^15', 'react@^19', 'react-dom@^19', 'typescript@^7', '@types/koa@^3', '@types/react@^19', '@types/react-dom@^19', '@types/node@^20.19'];
/** The READMEs whose samples must compile. */
const READMES = ['README.md', ...PACKAGES.map((p) => `packages/${p}/README.md`)];

/** The child environment: nothing from the pnpm/npm run that started vitest (npm would read npm_config_* as its own config), no workspace bin. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = /^npm_config_(registry|cache|userconfig|proxy|https_proxy|noproxy|strict_ssl|cafile)$/i;
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_)/i.test(key) && !keep.test(key)) continue;
    if (/^(PORTCULLIS_|NODE_OPTIONS$|VITEST|TSX_)/.test(key)) continue;
    env[key] = value;
  }
  // No workspace tool on PATH (pnpm run prepends every node_modules/.bin up to the root, whose `portcullis` is the source).
  env['PATH'] = (process.env['PATH'] ?? '')
    .split(path.delimiter)
    .filter((dir) => !dir.includes(`${path.sep}node_modules${path.sep}`))
    .join(path.delimiter);
  return { ...env, ...extra };
}

interface Run {
  code: number | null;
  output: string;
}

/** Runs a command to completion (never throws): exit code and combined output. */
function run(command: string, args: string[], cwd: string, timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, output: `${output}\n${String(err)}` });
    });
  });
}

async function ok(command: string, args: string[], cwd: string): Promise<string> {
  const result = await run(command, args, cwd);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${result.code}:\n${result.output}`);
  return result.output;
}

/** The `ts`/`tsx` blocks of a Markdown file, unless an HTML comment `<!-- no-compile ... -->` precedes one. */
function samples(file: string): Array<{ line: number; lang: 'ts' | 'tsx'; code: string }> {
  const lines = readFileSync(file, 'utf8').split('\n');
  const found: Array<{ line: number; lang: 'ts' | 'tsx'; code: string }> = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w*)/.exec(lines[i]!);
    if (!fence) continue;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const skipped = before >= 0 && /^<!--\s*no-compile\b/.test(lines[before]!.trim());
    if ((fence[1] === 'ts' || fence[1] === 'tsx') && !skipped) {
      found.push({ line: i + 1, lang: fence[1], code: lines.slice(i + 1, end).join('\n') });
    }
    i = end;
  }
  return found;
}

/** Names the samples use for the reader's own code (components, handlers, a logger). */
const SAMPLE_GLOBALS = `import type { ComponentType } from 'react';
import type { Middleware } from 'koa';
declare global {
  const App: ComponentType;
  const Todos: ComponentType;
  const Spinner: ComponentType;
  function listAll(): unknown[];
  function listFor(sub: string): unknown[];
  const deleteOrder: Middleware;
  const log: { error(...args: unknown[]): void };
}
export {};
`;

/** The same, for a project without React. */
const SAMPLE_GLOBALS_SERVER = `import type { Middleware } from 'koa';
declare global {
  function listAll(): unknown[];
  function listFor(sub: string): unknown[];
  const deleteOrder: Middleware;
  const log: { error(...args: unknown[]): void };
}
export {};
`;

const samplePrefix = (readme: string) => `${readme.replace(/[^A-Za-z0-9]+/g, '_')}_line`;
const sampleFile = (readme: string, line: number, lang: string) => `${samplePrefix(readme)}${line}.${lang}`;

/**
 * Writes the samples of `readmes` as modules of `project`/readme-samples and runs a strict tsc
 * (the main project's) over them; returns its output (the "ok" marker when clean).
 */
async function compileSamples(project: string, readmes: string[], globals: string): Promise<string> {
  const dir = path.join(project, 'readme-samples');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'globals.d.ts'), globals);
  for (const readme of readmes) {
    for (const sample of samples(path.join(repo, readme))) {
      // Each sample is a module of its own (`export {}`), like a file of the reader's.
      writeFileSync(path.join(dir, sampleFile(readme, sample.line, sample.lang)), `${sample.code}\nexport {};\n`);
    }
  }
  const compilerOptions = {
    target: 'es2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    jsx: 'react-jsx',
    lib: ['es2023', 'dom', 'dom.iterable'],
    types: ['node'],
  };
  writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['readme-samples'] }, null, 2));
  const result = await run(path.join(app, 'node_modules/.bin/tsc'), ['-p', path.join(project, 'tsconfig.json')], project);
  if (result.code !== 0 && !/error TS/.test(result.output)) throw new Error(`tsc failed:\n${result.output}`);
  return result.code === 0 ? 'ok' : result.output;
}

/** tsc error lines about one README's samples, or (readme undefined) about anything else but the samples. */
function errorsOf(output: string, readme: string | undefined): string[] {
  const errors = output.split('\n').filter((line) => /error TS/.test(line));
  if (readme !== undefined) return errors.filter((line) => line.startsWith(`readme-samples/${samplePrefix(readme)}`));
  return errors.filter((line) => !READMES.some((r) => line.startsWith(`readme-samples/${samplePrefix(r)}`)));
}

let work: string; // everything temporary: staged packages, tarballs, the fresh project
let app: string; // the fresh project
let appKoa2: string; // a second one, for the bin on Koa 2
const tarballs = new Map<Pkg, string>();
const upstreams: Upstreams[] = [];
const servers: ChildProcess[] = [];
const started = Date.now();

beforeAll(async () => {
  work = mkdtempSync(path.join(realpathSync(tmpdir()), 'portcullis-consumer-'));
  if (work.startsWith(repo + path.sep)) throw new Error(`the temp dir ${work} is inside the repository`);
  const stage = path.join(work, 'stage');
  const packs = path.join(work, 'tarballs');
  app = path.join(work, 'app');
  appKoa2 = path.join(work, 'app-koa2');
  mkdirSync(path.join(stage, 'packages'), { recursive: true });
  mkdirSync(packs);
  mkdirSync(app);
  mkdirSync(appKoa2);

  // 1. Stage: the package without node_modules/dist/test, its dependencies linked.
  cpSync(path.join(repo, 'tsconfig.base.json'), path.join(stage, 'tsconfig.base.json'));
  cpSync(path.join(repo, 'scripts'), path.join(stage, 'scripts'), { recursive: true });
  symlinkSync(path.join(repo, 'node_modules'), path.join(stage, 'node_modules'));
  for (const pkg of PACKAGES) {
    const from = path.join(repo, 'packages', pkg);
    const to = path.join(stage, 'packages', pkg);
    cpSync(from, to, {
      recursive: true,
      filter: (source) => !['node_modules', 'dist', 'test'].includes(path.relative(from, source).split(path.sep)[0]!),
    });
    symlinkSync(path.join(from, 'node_modules'), path.join(to, 'node_modules'));
  }

  const phase = (name: string) => console.log(`consumer test: ${name} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  // 2. npm pack, the three at once (their builds are the slow part).
  await Promise.all(
    PACKAGES.map(async (pkg) => {
      await ok('npm', ['pack', '--pack-destination', packs], path.join(stage, 'packages', pkg));
      const tarball = readdirSync(packs).find((f) => f.startsWith(`portcullis-${pkg}-`) && f.endsWith('.tgz'));
      if (!tarball) throw new Error(`npm pack made no tarball for ${pkg}`);
      tarballs.set(pkg, path.join(packs, tarball));
    }),
  );

  phase('packed');
  // 3. Fresh projects outside the repository, installed with npm only: the three packages and
  //    their peers; and the Koa packages on Koa 2 (the oldest Koa declared) with @types/koa 2.
  const install = (dir: string, specs: string[]) => {
    writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: path.basename(dir), private: true, type: 'module' }, null, 2)}\n`);
    return ok('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...specs], dir);
  };
  await Promise.all([
    install(app, [...PACKAGES.map((p) => tarballs.get(p)!), ...PEERS]),
    install(appKoa2, [tarballs.get('bff')!, tarballs.get('api-guard')!, 'koa@~2.13.0', '@koa/router@^15', '@types/koa@^2.13.0', '@types/node@^20.19']),
  ]);
  phase('installed');
}, 240_000);

/** Ends a detached child's process group (npx and the node it started): SIGTERM, SIGKILL after 5 s. */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const pid = child.pid;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-pid, name);
    } catch {
      // already gone
    }
  };
  const exited = new Promise((resolve) => child.once('exit', resolve));
  signal('SIGTERM');
  const killer = setTimeout(() => signal('SIGKILL'), 5_000);
  await exited;
  clearTimeout(killer);
}

afterAll(async () => {
  await Promise.all(servers.map(stopGroup));
  await Promise.all(upstreams.map((u) => u.stop()));
  if (work) rmSync(work, { recursive: true, force: true });
  console.log(`consumer test: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, 30_000);

/** `tar tzf` of a tarball. */
async function list(tarball: string): Promise<string[]> {
  return (await ok('tar', ['tzf', tarball], work)).split('\n').filter(Boolean);
}

describe('the published packages, installed with npm in a fresh project', () => {
  it('pack with npm alone: dist/ (ESM + .d.ts), LICENSE and README, no TypeScript source', async () => {
    for (const pkg of PACKAGES) {
      const files = await list(tarballs.get(pkg)!);
      expect(files, pkg).toEqual(expect.arrayContaining(['package/LICENSE', 'package/README.md', 'package/package.json', 'package/dist/index.js', 'package/dist/index.d.ts']));
      expect(
        files.filter((f) => f.startsWith('package/src/') || (f.endsWith('.ts') && !f.endsWith('.d.ts'))),
        pkg,
      ).toEqual([]);
      const manifest = JSON.parse(readFileSync(path.join(app, 'node_modules', '@portcullis', pkg, 'package.json'), 'utf8')) as Record<string, any>;
      const subpaths =
        pkg === 'react'
          ? { './sessions': { types: './dist/sessions.d.ts', default: './dist/sessions.js' } }
          : pkg === 'bff'
            ? { './server': { types: './dist/server/index.d.ts', default: './dist/server/index.js' } }
            : {};
      expect(manifest['exports'], pkg).toEqual({ '.': { types: './dist/index.d.ts', default: './dist/index.js' }, ...subpaths, './package.json': './package.json' });
      expect([manifest['main'], manifest['types']], pkg).toEqual(['./dist/index.js', './dist/index.d.ts']);
      expect(manifest['license']).toBe('MIT');
      expect(readFileSync(path.join(app, 'node_modules', '@portcullis', pkg, 'LICENSE'), 'utf8')).toContain('Portcullis contributors');
      expect(JSON.stringify(manifest), pkg).not.toContain('workspace:');
      expect(manifest['repository']?.directory).toBe(`packages/${pkg}`);
    }
    const bffFiles = await list(tarballs.get('bff')!);
    expect(bffFiles).toEqual(expect.arrayContaining(['package/DEPLOY.md', 'package/bin/portcullis.mjs', 'package/dist/server/cli.js']));
    const bffManifest = JSON.parse(readFileSync(path.join(app, 'node_modules/@portcullis/bff/package.json'), 'utf8')) as Record<string, Record<string, string>>;
    // Koa comes from the app (no nested second Koa); tsx is not installed with it.
    expect(Object.keys(bffManifest['dependencies']!)).not.toEqual(expect.arrayContaining(['koa']));
    expect(Object.keys(bffManifest['dependencies']!)).not.toContain('tsx');
    expect(existsSync(path.join(app, 'node_modules/@portcullis/bff/node_modules/koa'))).toBe(false);
    expect(existsSync(path.join(app, 'node_modules/tsx'))).toBe(false);
    // The pack script is one file, scripts/pack.mjs, that every package's lifecycle runs.
    for (const pkg of PACKAGES) {
      const scripts = (JSON.parse(readFileSync(path.join(repo, 'packages', pkg, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
      for (const step of ['prepack', 'postpack', 'postpublish']) expect(scripts[step], `${pkg} ${step}`).toBe(`node ../../scripts/pack.mjs ${step}`);
    }
  });

  it('plain Node imports each package', async () => {
    const script = `
      const [bff, react, guard, server] = await Promise.all(['@portcullis/bff', '@portcullis/react', '@portcullis/api-guard', '@portcullis/bff/server'].map((n) => import(n)));
      const { createRequire } = await import('node:module');
      const require = createRequire(process.cwd() + '/');
      console.log(JSON.stringify({
        bff: typeof bff.createBff, react: typeof react.AuthProvider, guard: typeof guard.requireAccessToken, server: typeof server.startServer,
        version: require('@portcullis/bff/package.json').version,
      }));`;
    const output = await ok(process.execPath, ['--input-type=module', '-e', script], app);
    expect(JSON.parse(output.trim().split('\n').pop()!)).toEqual({ bff: 'function', react: 'function', guard: 'function', server: 'function', version: expect.any(String) });
  });

  describe('the README samples compile with a strict tsc against the installed packages', () => {
    let koa3 = '';
    let koa2 = '';
    beforeAll(async () => {
      // One tsc (the main project's) for both projects: each resolves its own @types/koa.
      [koa3, koa2] = await Promise.all([compileSamples(app, READMES, SAMPLE_GLOBALS), compileSamples(appKoa2, ['packages/bff/README.md', 'packages/api-guard/README.md'], SAMPLE_GLOBALS_SERVER)]);
    }, 60_000);

    it.each(READMES)('%s', (readme) => {
      expect(errorsOf(koa3, readme).join('\n')).toBe('');
    });

    it("the packages' declarations themselves (skipLibCheck: false)", () => {
      expect(errorsOf(koa3, undefined).join('\n')).toBe('');
    });

    it('the bff and api-guard samples against Koa 2 types (@types/koa 2)', () => {
      expect(koa2).not.toBe(''); // tsc ran
      expect(
        koa2
          .split('\n')
          .filter((line) => /error TS/.test(line))
          .join('\n'),
      ).toBe('');
    });
  });

  it.each([
    ['Koa 3, with the other packages', () => app, '3.'],
    ['Koa 2', () => appKoa2, '2.'],
  ])('the installed `portcullis` bin logs a user in end to end (%s)', async (_name, dir, koaMajor) => {
    const cwd = dir();
    expect((JSON.parse(readFileSync(path.join(cwd, 'node_modules/koa/package.json'), 'utf8')) as { version: string }).version.startsWith(koaMajor)).toBe(true);
    // It is the package's build that runs: the installed package has no source.
    expect(existsSync(path.join(cwd, 'node_modules/@portcullis/bff/src'))).toBe(false);
    expect(existsSync(path.join(cwd, 'node_modules/@portcullis/bff/node_modules/koa'))).toBe(false);

    const port = await freePort();
    const baseUrl = `http://localhost:${port}`;
    const upstream = await startUpstreams(baseUrl);
    upstreams.push(upstream);
    const child = spawn('npx', ['--no', 'portcullis', 'serve'], {
      cwd,
      detached: true, // its own process group: afterAll ends npx and the node it starts
      stdio: ['ignore', 'pipe', 'pipe'],
      env: cleanEnv({
        PORTCULLIS_ISSUER: upstream.provider.issuer,
        PORTCULLIS_CLIENT_ID: CLIENT_ID,
        PORTCULLIS_CLIENT_SECRET: upstream.secret,
        PORTCULLIS_BASE_URL: baseUrl,
        PORTCULLIS_SESSION_KEYS: newSessionKey(),
        PORTCULLIS_PORT: String(port),
        PORTCULLIS_APIS: JSON.stringify([{ path: '/api/todos', target: `${upstream.api.url}/todos` }]),
        PORTCULLIS_SHUTDOWN_TIMEOUT: '1000',
      }),
    });
    servers.push(child);
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`portcullis exited ${child.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`portcullis not ready in 20 s:\n${output}`);
      const ready = await fetch(`${baseUrl}/readyz`).then(
        (r) => r.status,
        () => 0,
      );
      if (ready === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const anonymous = await fetch(`${baseUrl}/bff/user`, { headers: { 'x-csrf': '1' } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/json');

    const tab = new BffClient(baseUrl);
    const landing = await tab.login('alice');
    expect(new URL(landing.url).origin).toBe(baseUrl);
    const user = await tab.user();
    expect(user.status, output).toBe(200);
    expect(user.body['sub']).toBe('alice');
    const todos = await tab.fetch('/api/todos');
    expect(todos.status, output).toBe(200);
    const logout = await tab.fetch(String(user.body['logoutUrl']), { csrf: false });
    expect(logout.status, output).toBe(302); // to the provider's end-session endpoint
    expect((await tab.user()).status).toBe(401);
    await stopGroup(child);
    expect(child.signalCode ?? child.exitCode, output).not.toBe('SIGKILL');
  });
});

// Keeps the listing helpers honest if a package is added: every packages/* dir is packed.
it('packs every package of packages/', () => {
  expect(readdirSync(path.join(repo, 'packages')).sort()).toEqual([...PACKAGES].sort());
});

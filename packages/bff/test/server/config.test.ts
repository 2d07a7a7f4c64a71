import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, ENV_VARIABLES, loadConfig, validateBffOptions } from '../../src/server/config.ts';

const KEY_A = 'a'.repeat(32);
const KEY_B = 'b'.repeat(32);
let dir: string;

const base = {
  issuer: 'http://localhost:4000',
  clientId: 'app',
  baseUrl: 'http://localhost:3000',
};

function write(name: string, content: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'portcullis-config-'));
});

describe('loadConfig', () => {
  it('reads a JSON file and applies the server defaults', async () => {
    const file = write('c.json', { ...base, clientSecret: 's', session: { keys: [KEY_A] } });
    const config = await loadConfig({ file, env: {}, cwd: dir });
    expect(config).toMatchObject({
      port: 3000,
      host: undefined,
      trustProxy: 0,
      readyRequiresProvider: false,
      shutdownTimeout: 10_000,
      readyTimeout: 2000,
      logLevel: 'info',
      store: { type: 'memory' },
      static: undefined,
      file,
    });
    expect(config.bff).toEqual({ ...base, clientSecret: 's', session: { keys: [KEY_A] } });
    await expect(validateBffOptions(config)).resolves.toMatchObject({ redirectUri: expect.stringMatching(/\/bff\/callback$/) });
  });

  it('lets environment variables override the file, and flags override both', async () => {
    const file = write('c.json', { ...base, clientSecret: 'from-file', port: 8080, session: { keys: [KEY_A] } });
    const config = await loadConfig({
      file,
      cwd: dir,
      env: {
        PORTCULLIS_CLIENT_SECRET: 'from-env',
        PORTCULLIS_PORT: '9090',
        PORTCULLIS_SESSION_KEYS: `${KEY_B}, ${KEY_A}`,
        PORTCULLIS_SCOPE: 'openid email',
        PORTCULLIS_APIS: JSON.stringify([{ path: '/api', target: 'http://localhost:5000' }]),
        PORTCULLIS_TRUST_PROXY: 'yes',
        PORTCULLIS_SESSION_IDLE_TIMEOUT: '600',
        PORTCULLIS_LOGOUT_REVOKE_TOKENS: 'false',
        PORTCULLIS_RATE_LIMIT: '{"max":5,"windowSeconds":10}',
        PORTCULLIS_DIAGNOSTICS: 'true',
      },
      flags: { port: '7070', logLevel: 'warn' },
    });
    expect(config.bff.rateLimit).toEqual({ max: 5, windowSeconds: 10 });
    expect(config.bff.diagnostics).toBe(true);
    expect(config.bff.clientSecret).toBe('from-env');
    expect(config.bff.session.keys).toEqual([KEY_B, KEY_A]);
    expect(config.bff.scope).toBe('openid email');
    expect(config.bff.apis).toEqual([{ path: '/api', target: 'http://localhost:5000' }]);
    expect(config.bff.session.idleTimeout).toBe(600);
    expect(config.bff.logout).toEqual({ revokeTokens: false });
    expect(config.port).toBe(7070);
    expect(config.trustProxy).toBe(1);
    expect(config.logLevel).toBe('warn');
    expect(config.sources).toMatchObject({ clientSecret: 'PORTCULLIS_CLIENT_SECRET', port: '--port', issuer: `config file ${file}` });
  });

  it('works with environment variables alone', async () => {
    const config = await loadConfig({
      cwd: dir,
      env: { PORTCULLIS_ISSUER: base.issuer, PORTCULLIS_CLIENT_ID: 'app', PORTCULLIS_CLIENT_SECRET: 's', PORTCULLIS_BASE_URL: base.baseUrl, PORTCULLIS_SESSION_KEYS: KEY_A },
    });
    expect(config.file).toBeUndefined();
    expect(config.bff).toEqual({ ...base, clientSecret: 's', session: { keys: [KEY_A] } });
    await expect(validateBffOptions(config)).resolves.toMatchObject({ redirectUri: expect.stringMatching(/\/bff\/callback$/) });
  });

  it('reads PORTCULLIS_CONFIG when no file is given', async () => {
    const file = write('c.json', { ...base, port: 1234 });
    expect((await loadConfig({ env: { PORTCULLIS_CONFIG: 'c.json' }, cwd: dir })).port).toBe(1234);
    expect((await loadConfig({ env: { PORTCULLIS_CONFIG: file }, cwd: '/' })).port).toBe(1234);
  });

  describe('secrets', () => {
    it('reads { file } and { env } references in the config file (paths relative to it)', async () => {
      write('client-secret', 'shh\n');
      write('keys', `${KEY_A}\n${KEY_B}\n`);
      const file = write('c.json', { ...base, clientSecret: { file: 'client-secret' }, session: { keys: { file: 'keys' }, store: { type: 'redis', url: { env: 'MY_REDIS' } } } });
      const config = await loadConfig({ file, env: { MY_REDIS: 'redis://:pw@cache:6379' }, cwd: '/' });
      expect(config.bff.clientSecret).toBe('shh');
      expect(config.bff.session.keys).toEqual([KEY_A, KEY_B]);
      expect(config.store).toEqual({ type: 'redis', url: 'redis://:pw@cache:6379' });
      expect('store' in config.bff.session).toBe(false);
    });

    it('reads each key of a list from its own reference', async () => {
      write('k1', KEY_A);
      const file = write('c.json', { ...base, session: { keys: [{ file: 'k1' }, { env: 'K2' }] } });
      expect((await loadConfig({ file, env: { K2: KEY_B }, cwd: dir })).bff.session.keys).toEqual([KEY_A, KEY_B]);
    });

    it('reads *_FILE variables', async () => {
      const secretFile = write('secret', 'from-a-file\r\n');
      const keysFile = write('keys', `${KEY_A},${KEY_B}`);
      const redisFile = write('redis', 'redis://cache:6379');
      const config = await loadConfig({ cwd: dir, env: { PORTCULLIS_CLIENT_SECRET_FILE: secretFile, PORTCULLIS_SESSION_KEYS_FILE: 'keys', PORTCULLIS_REDIS_URL_FILE: redisFile } });
      expect(keysFile).toBe(path.join(dir, 'keys'));
      expect(config.bff.clientSecret).toBe('from-a-file');
      expect(config.bff.session.keys).toEqual([KEY_A, KEY_B]);
      expect(config.store).toEqual({ type: 'redis', url: 'redis://cache:6379' });
      expect(config.sources['clientSecret']).toBe('PORTCULLIS_CLIENT_SECRET_FILE');
    });

    it('names what is wrong with a secret source', async () => {
      let err = await configError(loadConfig({ cwd: dir, env: { PORTCULLIS_CLIENT_SECRET: 'a', PORTCULLIS_CLIENT_SECRET_FILE: '/x' } }));
      expect(err.message).toContain('PORTCULLIS_CLIENT_SECRET and PORTCULLIS_CLIENT_SECRET_FILE are both set');
      err = await configError(loadConfig({ cwd: dir, env: { PORTCULLIS_CLIENT_SECRET_FILE: '/no/such/file' } }));
      expect(err.message).toBe('PORTCULLIS_CLIENT_SECRET_FILE: cannot read secret file /no/such/file (ENOENT)');
      err = await configError(loadConfig({ file: write('c.json', { clientSecret: { env: 'NOPE' } }), env: {}, cwd: dir }));
      expect(err.option).toBe('clientSecret');
      expect(err.message).toContain('reads environment variable NOPE, which is not set');
      err = await configError(loadConfig({ file: write('c2.json', { clientSecret: { vault: 'x' } }), env: {}, cwd: dir }));
      expect(err.message).toContain('option "clientSecret" must be a string, { "file": "/path" } or { "env": "NAME" }');
      write('empty', '\n');
      err = await configError(loadConfig({ file: write('c3.json', { clientSecret: { file: 'empty' } }), env: {}, cwd: dir }));
      expect(err.message).toContain('is empty');
    });
  });

  describe('errors name the option and where its value came from', () => {
    it('file problems', async () => {
      expect((await configError(loadConfig({ file: 'missing.json', env: {}, cwd: dir }))).message).toContain('not found');
      expect((await configError(loadConfig({ file: write('bad.json', '{ "issuer": '), env: {}, cwd: dir }))).message).toContain('is not valid JSON');
      expect((await configError(loadConfig({ file: write('list.json', '[]'), env: {}, cwd: dir }))).message).toContain('must hold (or export as default) an object');
      expect((await configError(loadConfig({ file: write('c.yaml', 'a: 1'), env: {}, cwd: dir }))).message).toContain('use .json, .js, .mjs or .ts');
    });

    it('environment variable values', async () => {
      let err = await configError(loadConfig({ cwd: dir, env: { PORTCULLIS_PORT: '80a' } }));
      expect(err.option).toBe('PORTCULLIS_PORT');
      expect(err.message).toBe('PORTCULLIS_PORT must be a whole number, got "80a" (sets option "port")');
      err = await configError(loadConfig({ cwd: dir, env: { PORTCULLIS_TRUST_PROXY: 'maybe' } }));
      expect(err.message).toBe('PORTCULLIS_TRUST_PROXY must be true, false or a number of proxies, got "maybe" (sets option "trustProxy")');
      err = await configError(loadConfig({ cwd: dir, env: { PORTCULLIS_APIS: '[{' } }));
      expect(err.message).toContain('PORTCULLIS_APIS must be JSON');
    });

    it('server fields', async () => {
      let err = await configError(loadConfig({ file: write('c.json', { port: 70_000 }), env: {}, cwd: dir }));
      expect(err.message).toBe(`option "port" must be at most 65535 (from config file ${path.join(dir, 'c.json')})`);
      err = await configError(loadConfig({ cwd: dir, env: { PORTCULLIS_LOG_LEVEL: 'loud' } }));
      expect(err.message).toContain('option "logLevel" must be one of fatal, error, warn, info, debug, trace, silent (from PORTCULLIS_LOG_LEVEL)');
      err = await configError(loadConfig({ file: write('s.json', { session: { store: { type: 'redis' } } }), env: {}, cwd: dir }));
      expect(err.option).toMatch(/^session\.store/);
      expect(err.message).toContain('option "session.store');
      err = await configError(loadConfig({ cwd: dir, env: { PORTCULLIS_REDIS_URL: 'http://cache' } }));
      expect(err.message).toContain('must be a redis:// or rediss:// URL (from PORTCULLIS_REDIS_URL)');
      err = await configError(loadConfig({ cwd: dir, env: {}, flags: { static: 'nope' } }));
      expect(err.message).toBe(`option "static": directory ${path.join(dir, 'nope')} not found (from --static)`);
    });

    it('an https baseUrl without trustProxy (Secure cookies would fail behind the TLS proxy)', async () => {
      const err = await configError(loadConfig({ cwd: dir, env: { PORTCULLIS_BASE_URL: 'https://app.example.com' } }));
      expect(err.option).toBe('trustProxy');
      expect(err.message).toContain('PORTCULLIS_TRUST_PROXY=1');
      await expect(loadConfig({ cwd: dir, env: { PORTCULLIS_BASE_URL: 'https://app.example.com', PORTCULLIS_TRUST_PROXY: '1' } })).resolves.toMatchObject({ trustProxy: 1 });
    });

    it("createBff's validation, with the source of the value", async () => {
      const config = await loadConfig({ file: write('c.json', { ...base, clientSecret: 's' }), cwd: dir, env: { PORTCULLIS_SESSION_KEYS: 'too-short' } });
      const err = await validateBffOptions(config).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).option).toBe('session.keys[0]');
      expect((err as ConfigError).message).toMatch(/option "session.keys\[0\]" must be at least 32 characters.*\(from PORTCULLIS_SESSION_KEYS\)$/);

      // A misspelt key is found when loading, before any network.
      const typo = await configError(loadConfig({ file: write('t.json', { ...base, clientSecret: 's', session: { keys: [KEY_A] }, issuerr: 'x' }), cwd: dir, env: {} }));
      expect(typo.message).toBe(`unknown option "issuerr": did you mean "issuer"? (from config file ${path.join(dir, 't.json')})`);
    });
  });

  it('resolves the static directory relative to the config file (env and flags: to the working directory)', async () => {
    const file = write('c.json', { static: './' });
    expect((await loadConfig({ file, env: {}, cwd: '/' })).static).toEqual({ dir, fallback: true, compress: true });
    const env = { PORTCULLIS_STATIC: '.', PORTCULLIS_STATIC_FALLBACK: 'false', PORTCULLIS_STATIC_CSP: "default-src 'self'", PORTCULLIS_STATIC_COMPRESS: 'false' };
    expect((await loadConfig({ cwd: dir, env })).static).toEqual({
      dir,
      fallback: false,
      compress: false,
      contentSecurityPolicy: "default-src 'self'",
    });
    const withImmutable = await loadConfig({ file: write('i.json', { static: { dir: '.', immutable: '^/build/' } }), env: {}, cwd: '/' });
    expect(withImmutable.static?.immutable).toEqual(/^\/build\//);
  });

  it('warns about unknown PORTCULLIS_ variables and a static dir without index.html', async () => {
    const config = await loadConfig({ cwd: dir, env: { PORTCULLIS_CLIENTSECRET: 'x', PORTCULLIS_STATIC: '.' } });
    expect(config.warnings.join('\n')).toContain('unknown environment variable PORTCULLIS_CLIENTSECRET');
    expect(config.warnings.join('\n')).toContain('has no index.html');
    expect(config.warnings.join('\n')).not.toContain('"x"');
  });

  it('imports a JS or TS config whose default export is the object or a function returning it', async () => {
    const mjs = write('portcullis.config.mjs', `export default async () => ({ issuer: ${JSON.stringify(base.issuer)}, port: 4321 });`);
    expect(await loadConfig({ file: mjs, env: {}, cwd: dir })).toMatchObject({ port: 4321, bff: { issuer: base.issuer } });
    const ts = write('portcullis.config.ts', `const config: { port: number } = { port: 4322 };\nexport default config;\n`);
    expect((await loadConfig({ file: ts, env: {}, cwd: dir })).port).toBe(4322);
  });

  it('every option variable sets a distinct option', () => {
    const options = ENV_VARIABLES.map((v) => v.option);
    expect(new Set(options).size).toBe(options.length);
    expect(ENV_VARIABLES.every((v) => v.name.startsWith('PORTCULLIS_'))).toBe(true);
  });
});

describe('PORTCULLIS_PROVIDER, PORTCULLIS_USERINFO and auto idTokenHint', () => {
  const env = { PORTCULLIS_ISSUER: base.issuer, PORTCULLIS_CLIENT_ID: 'app', PORTCULLIS_CLIENT_SECRET: 's', PORTCULLIS_BASE_URL: base.baseUrl, PORTCULLIS_SESSION_KEYS: KEY_A };

  it('selects the profile; auto is accepted; the profile decides what auto means', async () => {
    const config = await loadConfig({ env: { ...env, PORTCULLIS_PROVIDER: 'okta', PORTCULLIS_LOGOUT_ID_TOKEN_HINT: 'auto', PORTCULLIS_USERINFO: 'auto' }, cwd: dir });
    expect(config.bff).toMatchObject({ provider: 'okta', userinfo: 'auto', logout: { idTokenHint: 'auto' } });
    const resolved = await validateBffOptions(config);
    expect(resolved.logout.idTokenHint).toBe(true);
    expect(resolved.userinfo).toBe(false);
  });

  it('an unknown provider or a bad auto value names the variable', async () => {
    const unknown = await configError(validateBffOptions(await loadConfig({ env: { ...env, PORTCULLIS_PROVIDER: 'ping' }, cwd: dir })));
    expect(unknown.message).toContain('provider');
    expect(unknown.message).toContain('PORTCULLIS_PROVIDER');
    const bad = await configError(loadConfig({ env: { ...env, PORTCULLIS_USERINFO: 'maybe' }, cwd: dir }));
    expect(bad.message).toContain('PORTCULLIS_USERINFO must be true, false or auto');
  });
});

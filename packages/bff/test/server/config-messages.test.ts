/** Config error messages written for operators: misspelt keys, wrong shapes, missing options, no schema-library text. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, toConfigError, validateBffOptions } from '../../src/server/config.ts';
import { BffOptionsError } from '../../src/options.ts';

const KEY = 'k'.repeat(40);
const base = { issuer: 'http://localhost:4000', clientId: 'app', clientSecret: 'file-secret-7d1', baseUrl: 'http://localhost:3000', session: { keys: [KEY] } };
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'portcullis-messages-'));
});

function file(content: unknown): string {
  const name = path.join(dir, 'c.json');
  writeFileSync(name, JSON.stringify(content));
  return name;
}

async function errorOf(promise: Promise<unknown>): Promise<ConfigError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('config error messages', () => {
  it('a misspelt key names itself and the closest option, not the option it was meant to be', async () => {
    const { baseUrl, ...rest } = base;
    const err = await errorOf(loadConfig({ file: file({ ...rest, baseURL: baseUrl }), env: {}, cwd: dir }));
    expect(err.option).toBe('baseURL');
    expect(err.message).toBe(`unknown option "baseURL": did you mean "baseUrl"? (from config file ${path.join(dir, 'c.json')})`);
  });

  it('unknown keys at every level, with the path; without a close match, the list of options', async () => {
    expect((await errorOf(loadConfig({ file: file({ ...base, session: { keys: [KEY], idleTimout: 60 } }), env: {}, cwd: dir }))).message).toContain(
      'unknown option "session.idleTimout": did you mean "session.idleTimeout"?',
    );
    expect((await errorOf(loadConfig({ file: file({ ...base, logout: { revokeToken: false } }), env: {}, cwd: dir }))).message).toContain(
      'unknown option "logout.revokeToken": did you mean "logout.revokeTokens"?',
    );
    expect((await errorOf(loadConfig({ file: file({ ...base, apis: [{ path: '/api', target: 'http://x', tokn: 'user' }] }), env: {}, cwd: dir }))).message).toContain(
      'unknown option "apis[0].tokn": did you mean "apis[0].token"?',
    );
    expect((await errorOf(loadConfig({ file: file({ ...base, static: { dir: '.', fallbak: true } }), env: {}, cwd: dir }))).message).toContain(
      'unknown option "static.fallbak": did you mean "static.fallback"?',
    );
    const far = await errorOf(loadConfig({ file: file({ ...base, zzzzzzzz: 1 }), env: {}, cwd: dir }));
    expect(far.message).toMatch(/^unknown option "zzzzzzzz": the options here are "issuer", /);
    expect(far.message).not.toContain('(options)');
  });

  it('a logger in a JS config is refused with what to use instead', async () => {
    const name = path.join(dir, 'c.mjs');
    writeFileSync(name, `export default { logger: { info() {} }, port: 1 };`);
    const err = await errorOf(loadConfig({ file: name, env: {}, cwd: dir }));
    expect(err.message).toContain('option "logger" is the server\'s own (JSON lines on stdout): set "logLevel" (PORTCULLIS_LOG_LEVEL) instead');
  });

  it('an unknown top-level key createBff reports (from a JS config, say) names the key, not "(options)"', () => {
    const err = toConfigError(new BffOptionsError('(options)', 'has unknown keys "clientSecrett": check their spelling'), { sources: {} }) as ConfigError;
    expect(err.message).toBe('unknown option "clientSecrett": did you mean "clientSecret"?');
    expect(err.option).toBe('clientSecrett');
  });

  it('"keys" as a string: must be a list, and the value is not shown', async () => {
    const err = await errorOf(loadConfig({ file: file({ ...base, session: { keys: 'a-secret-session-key-value' } }), env: {}, cwd: dir }));
    expect(err.option).toBe('session.keys');
    expect(err.message).toContain('option "session.keys" must be a list of keys');
    expect(err.message).toContain('PORTCULLIS_SESSION_KEYS or PORTCULLIS_SESSION_KEYS_FILE take them comma-separated');
    expect(err.message).not.toContain('a-secret-session-key-value');
  });

  it.each([
    ['issuer', 'PORTCULLIS_ISSUER'],
    ['clientId', 'PORTCULLIS_CLIENT_ID'],
    ['clientSecret', 'PORTCULLIS_CLIENT_SECRET or PORTCULLIS_CLIENT_SECRET_FILE'],
    ['baseUrl', 'PORTCULLIS_BASE_URL'],
  ] as const)('a missing %s names the variable that supplies it', async (option, variables) => {
    const config = await loadConfig({ file: file({ ...base, [option]: undefined }), env: {}, cwd: dir });
    const err = await errorOf(validateBffOptions(config));
    expect(err.option).toBe(option);
    expect(err.message).toBe(`option "${option}" is required: set ${variables}, or "${option}" in the config file`);
  });

  it('a private key without private_key_jwt: the missing secret names the switch that uses the key; with it, the key is what is required', async () => {
    const keyed = await loadConfig({ file: file({ ...base, clientSecret: undefined }), env: { PORTCULLIS_CLIENT_PRIVATE_KEY: '{"kty":"EC"}' }, cwd: dir });
    const err = await errorOf(validateBffOptions(keyed));
    expect(err.option).toBe('clientSecret');
    expect(err.message).toContain('set PORTCULLIS_CLIENT_AUTHENTICATION=private_key_jwt');
    expect(err.message).not.toContain('"kty"');
    const noKey = await loadConfig({ file: file({ ...base, clientSecret: undefined, clientAuthentication: 'private_key_jwt' }), env: {}, cwd: dir });
    const missing = await errorOf(validateBffOptions(noKey));
    expect(missing.option).toBe('clientPrivateKey');
    expect(missing.message).toContain('PORTCULLIS_CLIENT_PRIVATE_KEY or PORTCULLIS_CLIENT_PRIVATE_KEY_FILE');
  });

  it('missing session keys name PORTCULLIS_SESSION_KEYS and its _FILE', async () => {
    const config = await loadConfig({ file: file({ ...base, session: undefined }), env: {}, cwd: dir });
    const err = await errorOf(validateBffOptions(config));
    expect(err.message).toBe('option "session.keys" is required: set PORTCULLIS_SESSION_KEYS or PORTCULLIS_SESSION_KEYS_FILE, or "session": { "keys": [...] } in the config file');
  });

  it.each([
    [{ static: 5 }, 'option "static" must be the directory of the SPA build, or { "dir", "fallback", "contentSecurityPolicy", "immutable", "compress" }'],
    [{ static: { fallback: true } }, 'option "static.dir" is required: the directory of the SPA build'],
    [{ static: { dir: '.', fallback: 'yes' } }, 'option "static.fallback" must be true or false'],
    [{ port: '80' }, 'option "port" must be a port number (0–65535)'],
    [{ port: 1.5 }, 'option "port" must be a whole number'],
    [{ trustProxy: 'yes' }, 'option "trustProxy" must be false, true (one proxy) or the number of proxies in front (0–10)'],
    [{ trustProxy: -1 }, 'option "trustProxy" must be at least 0'],
    [{ readyTimeout: 10 }, 'option "readyTimeout" must be at least 100 ms'],
    [{ shutdownTimeout: 'long' }, 'option "shutdownTimeout" must be a number of milliseconds (0–600000)'],
    [{ readyRequiresProvider: 'no' }, 'option "readyRequiresProvider" must be true or false'],
    [{ host: 7 }, 'option "host" must be a host name or address'],
  ])('server fields in words, never schema-library text: %j', async (fields, message) => {
    const err = await errorOf(loadConfig({ file: file({ ...base, ...fields }), env: {}, cwd: dir }));
    expect(err.message).toContain(message);
    expect(err.message).not.toMatch(/Invalid input|expected \w+, received|Unrecognized key/);
  });

  it("createBff's type errors in words too", () => {
    const err = toConfigError(new BffOptionsError('clockTolerance', 'Invalid input: expected number, received string'), { sources: { clockTolerance: 'PORTCULLIS_X' } }) as ConfigError;
    expect(err.message).toBe('option "clockTolerance" must be a number, not a string (from PORTCULLIS_X)');
  });
});

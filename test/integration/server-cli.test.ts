/**
 * The `portcullis` command's failure modes and `check`, as real child
 * processes: a wrong option exits non-zero naming it, a secret on the command
 * line is refused, `check` exits 0 on a good config and non-zero naming an
 * unreachable provider.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoProvider, type DemoProvider } from '../../demo/provider/create-provider.ts';
import { freePort, newSessionKey, runPortcullis, tempDir } from './server-harness.ts';

let provider: DemoProvider;
let dir: string;
const secret = 'cli-test-secret-9f2c41d7e8';
const sessionKey = newSessionKey();

function writeConfig(name: string, config: Record<string, unknown>): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

const goodConfig = () => ({
  issuer: provider.issuer,
  clientId: 'cli-test',
  baseUrl: 'http://localhost:3999',
  apis: [{ path: '/api/things', target: 'http://localhost:4999/things' }],
});
const secretsEnv = { PORTCULLIS_CLIENT_SECRET: secret, PORTCULLIS_SESSION_KEYS: sessionKey };

beforeAll(async () => {
  dir = tempDir('cli');
  // `check` tries the client's credentials: the client must exist at the provider.
  provider = await startDemoProvider({
    host: 'localhost',
    apiAudience: 'http://localhost:4999',
    clients: [{ clientId: 'cli-test', clientSecret: secret, grantTypes: ['authorization_code', 'refresh_token'], redirectUris: ['http://localhost:3999/bff/callback'] }],
  });
});

afterAll(async () => {
  await provider?.stop();
});

describe.concurrent('portcullis command', () => {
  it('check: exits 0 with an OK summary on a good config', async () => {
    const file = writeConfig('good.json', goodConfig());
    const { code, output } = await runPortcullis(['check', '--config', file], secretsEnv);
    expect(code, output).toBe(0);
    expect(output).toContain('portcullis check: OK');
    expect(output).toContain(provider.issuer);
    expect(output).not.toContain(secret);
    expect(output).not.toContain(sessionKey);
  });

  it('check: exits non-zero naming the unreachable provider', async () => {
    const deadIssuer = `http://localhost:${await freePort()}`;
    const file = writeConfig('dead-provider.json', { ...goodConfig(), issuer: deadIssuer });
    const { code, output } = await runPortcullis(['check', '--config', file], secretsEnv);
    expect(code).toBe(1);
    expect(output).toContain('portcullis check: FAILED (provider)');
    expect(output).toContain(`${deadIssuer}/.well-known/openid-configuration unreachable`);
    expect(output).toMatch(/ECONNREFUSED/);
  });

  it('check: names the issuer mismatch of the discovery document', async () => {
    const file = writeConfig('wrong-issuer.json', { ...goodConfig(), issuer: `${provider.issuer}/` });
    const { code, output } = await runPortcullis(['check', '--config', file], secretsEnv);
    expect(code).toBe(1);
    expect(output).toContain(`names issuer "${provider.issuer}", not the configured "${provider.issuer}/"`);
  });

  it('serve: a wrong option exits non-zero naming the option', async () => {
    const file = writeConfig('bad-issuer.json', { ...goodConfig(), issuer: 'ftp://id.example.com' });
    const bad = await runPortcullis(['serve', '--config', file], secretsEnv);
    expect(bad.code).toBe(2);
    expect(bad.output).toContain('option "issuer"');
    expect(bad.output).toContain(`config file ${file}`);

    const { clientId: _omitted, ...withoutClientId } = goodConfig();
    const missing = await runPortcullis(['serve', '--config', writeConfig('no-client-id.json', withoutClientId)], secretsEnv);
    expect(missing.code).toBe(2);
    expect(missing.output).toContain('option "clientId" is required');

    const shortKey = await runPortcullis(['serve', '--config', file], { ...secretsEnv, PORTCULLIS_ISSUER: provider.issuer, PORTCULLIS_SESSION_KEYS: 'short' });
    expect(shortKey.code).toBe(2);
    expect(shortKey.output).toContain('option "session.keys[0]" must be at least 32 characters');
    expect(shortKey.output).toContain('(from PORTCULLIS_SESSION_KEYS)');
    expect(shortKey.output).not.toContain(secret);
  });

  it('serve: a wrong environment variable or server field is named', async () => {
    const file = writeConfig('good-2.json', goodConfig());
    const port = await runPortcullis(['serve', '--config', file], { ...secretsEnv, PORTCULLIS_PORT: 'eighty' });
    expect(port.code).toBe(2);
    expect(port.output).toContain('PORTCULLIS_PORT must be a whole number');
    const store = await runPortcullis(['serve', '--config', writeConfig('bad-store.json', { ...goodConfig(), session: { store: { type: 'mongo' } } })], secretsEnv);
    expect(store.code).toBe(2);
    expect(store.output).toContain('option "session.store.type" must be "memory" or "redis" (PORTCULLIS_SESSION_STORE)');
    const staticDir = await runPortcullis(['serve', '--config', file, '--static', path.join(dir, 'no-such-dist')], secretsEnv);
    expect(staticDir.code).toBe(2);
    expect(staticDir.output).toContain('option "static": directory');
    expect(staticDir.output).toContain('(from --static)');
  });

  it('check: a misspelt key gets "did you mean", a missing secret names its variables', async () => {
    const { baseUrl, ...rest } = goodConfig();
    const typo = await runPortcullis(['check', '--config', writeConfig('typo.json', { ...rest, baseURL: baseUrl })], secretsEnv);
    expect(typo.code).toBe(2);
    expect(typo.output).toContain('unknown option "baseURL": did you mean "baseUrl"?');
    expect(typo.output).not.toContain('must be a string');
    const noSecret = await runPortcullis(['check', '--config', writeConfig('no-secret.json', goodConfig())], { PORTCULLIS_SESSION_KEYS: sessionKey });
    expect(noSecret.code).toBe(2);
    expect(noSecret.output).toContain('option "clientSecret" is required: set PORTCULLIS_CLIENT_SECRET or PORTCULLIS_CLIENT_SECRET_FILE');
  });

  it('refuses a secret on the command line and says why', async () => {
    for (const flag of [['--client-secret', secret], [`--client-secret=${secret}`], ['--session-keys', sessionKey], ['--redis-url', 'redis://:pw@localhost']]) {
      const { code, output } = await runPortcullis(['serve', ...flag], {});
      expect(code, flag.join(' ')).toBe(2);
      expect(output).toContain('refused: secrets are never accepted on the command line');
      expect(output).toMatch(/PORTCULLIS_(CLIENT_SECRET|SESSION_KEYS|REDIS_URL)/);
      expect(output).not.toContain(secret);
      expect(output).not.toContain(sessionKey);
    }
  });

  it('--help lists the commands and every environment variable; --version prints the version', async () => {
    const help = await runPortcullis(['--help'], {});
    expect(help.code).toBe(0);
    for (const text of ['serve', 'check', '--config', 'PORTCULLIS_CLIENT_SECRET_FILE', 'PORTCULLIS_SESSION_KEYS', 'PORTCULLIS_REDIS_URL', '/readyz']) expect(help.output).toContain(text);
    const version = await runPortcullis(['--version'], {});
    expect(version.code).toBe(0);
    expect(version.output.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const unknown = await runPortcullis(['deploy'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.output).toContain('unknown command "deploy"');
  });
});

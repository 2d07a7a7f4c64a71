/** The CLI's argument handling, in-process (the real child process is tested in test/integration/server-cli.test.ts). */
import { describe, expect, it } from 'vitest';
import { EXIT, helpText, main, type CliIo } from '../../src/server/cli.ts';
import { ENV_VARIABLES, OTHER_ENV_VARIABLES } from '../../src/server/config.ts';

function io(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const exits: number[] = [];
  const value: CliIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), env, cwd: process.cwd(), exit: (c) => exits.push(c) };
  return { io: value, out: () => out.join(''), err: () => err.join(''), exits };
}

describe('portcullis CLI', () => {
  it('prints help and version', async () => {
    const help = io();
    expect(await main(['--help'], help.io)).toBe(EXIT.ok);
    expect(help.out()).toContain('Usage: portcullis <command> [options]');
    const helpCommand = io();
    expect(await main(['help'], helpCommand.io)).toBe(EXIT.ok);
    const version = io();
    expect(await main(['-v'], version.io)).toBe(EXIT.ok);
    expect(version.out()).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('lists every environment variable in --help', () => {
    const text = helpText();
    for (const variable of [...ENV_VARIABLES, ...OTHER_ENV_VARIABLES]) expect(text).toContain(variable.name);
  });

  it.each([
    ['--client-secret', 'abc'],
    ['--client-secret=abc'],
    ['--clientSecret', 'abc'],
    ['--secret', 'abc'],
    ['--session-keys', 'abc'],
    ['--session-key=abc'],
    ['--keys', 'abc'],
    ['--redis-url', 'redis://:pw@x'],
    ['--password', 'abc'],
    ['--access-token', 'abc'],
  ])('refuses secrets on the command line: %s', async (...args) => {
    const run = io();
    expect(await main(['serve', ...args], run.io)).toBe(EXIT.usage);
    expect(run.err()).toContain('secrets are never accepted on the command line');
    expect(run.err()).toMatch(/PORTCULLIS_[A-Z_]+/);
    expect(run.err()).not.toContain('abc');
    expect(run.err()).not.toContain(':pw@');
  });

  it.each(['--client-private-key', '--private-key=abc', '--client-key', '--jwk'])('a private key flag (%s) is refused, pointing at PORTCULLIS_CLIENT_PRIVATE_KEY', async (flag) => {
    const run = io();
    expect(await main(['serve', flag, 'abc'], run.io)).toBe(EXIT.usage);
    expect(run.err()).toContain('PORTCULLIS_CLIENT_PRIVATE_KEY or PORTCULLIS_CLIENT_PRIVATE_KEY_FILE');
    expect(run.err()).not.toContain('abc');
  });

  it('takes --trust-proxy alone (one proxy) or with a number', async () => {
    const env = { PORTCULLIS_ISSUER: 'http://localhost:1', PORTCULLIS_CLIENT_ID: 'a', PORTCULLIS_CLIENT_SECRET: 's', PORTCULLIS_BASE_URL: 'https://app.example.com' };
    // No session keys: the run stops at the config error, after the flags were accepted.
    for (const flag of ['--trust-proxy', '--trust-proxy=2', '--trust-proxy=true']) {
      const run = io(env);
      expect(await main(['check', flag], run.io)).toBe(EXIT.usage);
      expect(run.err()).toContain('option "session.keys" is required');
    }
    const bad = io(env);
    expect(await main(['check', '--trust-proxy=some'], bad.io)).toBe(EXIT.usage);
    expect(bad.err()).toContain('--trust-proxy must be true, false or a number of proxies, got "some"');
  });

  it('refuses unknown options, commands and extra arguments', async () => {
    const unknownOption = io();
    expect(await main(['serve', '--prot', '3000'], unknownOption.io)).toBe(EXIT.usage);
    expect(unknownOption.err()).toContain("Unknown option '--prot'");
    const unknownCommand = io();
    expect(await main(['start'], unknownCommand.io)).toBe(EXIT.usage);
    expect(unknownCommand.err()).toContain('unknown command "start"');
    const extra = io();
    expect(await main(['check', 'extra'], extra.io)).toBe(EXIT.usage);
    expect(extra.err()).toContain('unexpected argument "extra"');
  });

  it('reports a config error with exit code 2 and the option', async () => {
    const run = io({ PORTCULLIS_ISSUER: 'http://localhost:1', PORTCULLIS_CLIENT_ID: 'a', PORTCULLIS_CLIENT_SECRET: 's', PORTCULLIS_BASE_URL: 'http://localhost:3000' });
    expect(await main(['check'], run.io)).toBe(EXIT.usage);
    expect(run.err()).toContain('option "session.keys" is required: set PORTCULLIS_SESSION_KEYS or PORTCULLIS_SESSION_KEYS_FILE');
  });
});

describe('server README', () => {
  it('documents every environment variable', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../DEPLOY.md', import.meta.url), 'utf8');
    for (const variable of [...ENV_VARIABLES, ...OTHER_ENV_VARIABLES]) expect(readme).toContain(`\`${variable.name}\``);
  });
});

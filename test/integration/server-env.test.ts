/**
 * `portcullis serve` configured by environment variables alone (secrets from
 * a variable and from a *_FILE), at debug level: login, the proxy, static
 * files from PORTCULLIS_STATIC, and no code, state, token, secret or cookie
 * value in any log line.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BffClient } from '../helpers/bff-client.ts';
import { CLIENT_ID, freePort, logLines, newSessionKey, spawnPortcullis, startUpstreams, tempDir, writeSpaBuild, type PortcullisProcess, type Upstreams } from './server-harness.ts';

let baseUrl: string;
let upstreams: Upstreams;
let proc: PortcullisProcess;
let keys: string[];

beforeAll(async () => {
  const port = await freePort();
  baseUrl = `http://localhost:${port}`;
  upstreams = await startUpstreams(baseUrl);
  const dir = tempDir('env');
  const dist = writeSpaBuild(path.join(dir, 'dist'));
  keys = [newSessionKey(), newSessionKey()];
  const keysFile = path.join(dir, 'session-keys');
  writeFileSync(keysFile, `${keys.join('\n')}\n`);
  proc = spawnPortcullis(['serve'], {
    PORTCULLIS_ISSUER: upstreams.provider.issuer,
    PORTCULLIS_CLIENT_ID: CLIENT_ID,
    PORTCULLIS_CLIENT_SECRET: upstreams.secret,
    PORTCULLIS_BASE_URL: baseUrl,
    PORTCULLIS_SESSION_KEYS_FILE: keysFile,
    PORTCULLIS_PORT: String(port),
    PORTCULLIS_APIS: JSON.stringify([{ path: '/api/todos', target: `${upstreams.api.url}/todos` }]),
    PORTCULLIS_STATIC: dist,
    PORTCULLIS_LOG_LEVEL: 'debug',
    PORTCULLIS_SHUTDOWN_TIMEOUT: '2000',
  });
  await proc.waitReady(baseUrl);
});

afterAll(async () => {
  await proc?.stop();
  await upstreams?.stop();
});

describe('portcullis serve with environment variables only', () => {
  it('logs in, proxies, serves the SPA, and logs neither codes, states, tokens, secrets nor cookies', async () => {
    const client = new BffClient(baseUrl);
    // Stop at the callback to learn the code and state, then finish the login.
    const atCallback = await client.login('alice', 'alice', '/todos', (url) => url.pathname === '/bff/callback');
    const callback = new URL(atCallback.url);
    const code = callback.searchParams.get('code')!;
    const state = callback.searchParams.get('state')!;
    expect(code).toBeTruthy();
    expect(state).toBeTruthy();
    const landing = await client.navigate(`${callback.pathname}${callback.search}`);
    expect(landing.response.status).toBe(200);
    expect(new URL(landing.url).pathname).toBe('/todos');
    expect(await landing.response.text()).toContain('<div id="root">'); // SPA fallback for the client route

    const user = await client.user();
    expect(user.status).toBe(200);
    expect(user.body['sub']).toBe('alice');
    const todos = await client.fetch('/api/todos');
    expect(todos.status).toBe(200);
    expect((await fetch(`${baseUrl}/assets/index-AbC12dEf.js`)).headers.get('cache-control')).toContain('immutable');

    // The session was signed with the first key of the file.
    const cookie = client.sessionCookie()!;
    expect(cookie).toBeTruthy();

    await new Promise((resolve) => setTimeout(resolve, 100));
    const output = proc.output();
    const lines = logLines(output);
    expect(lines.some((l) => l['msg'] === 'login')).toBe(true);
    const callbackLine = lines.find((l) => l['msg'] === 'request' && l['path'] === '/bff/callback');
    expect(callbackLine).toMatchObject({ method: 'GET', status: 302 });
    for (const secret of [code, state, upstreams.secret, ...keys, cookie, cookie.split('.')[0]!]) {
      expect(output).not.toContain(secret);
    }
    expect(output).not.toMatch(/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}/);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    await proc.stop();
    expect((await proc.exited).code).toBe(0);
  });
});

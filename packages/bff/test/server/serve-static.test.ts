/**
 * startServer's static files: compression on by default, `static.compress`
 * (PORTCULLIS_STATIC_COMPRESS=false) turns the on-the-fly part off while
 * precompressed files are still served.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.ts';
import { createServerLogger } from '../../src/server/logger.ts';
import { startServer, type RunningServer } from '../../src/server/serve.ts';

const running: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-serve-static-'));
mkdirSync(path.join(dir, 'assets'));
writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>app</title>');
const JS = `export const big = ${JSON.stringify('abc '.repeat(2000))};\n`;
writeFileSync(path.join(dir, 'assets', 'app-AbCdEf12.js'), JS);
writeFileSync(path.join(dir, 'assets', 'pre-AbCdEf12.js'), JS);
writeFileSync(path.join(dir, 'assets', 'pre-AbCdEf12.js.br'), brotliCompressSync(JS));

const encodingOf = (url: string) =>
  new Promise<string | undefined>((resolve, reject) => {
    request(url, { headers: { 'accept-encoding': 'br, gzip' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.headers['content-encoding']));
    })
      .on('error', reject)
      .end();
  });

async function start(env: Record<string, string>): Promise<string> {
  const config = await loadConfig({
    cwd: dir,
    env: {
      PORTCULLIS_ISSUER: 'http://127.0.0.1:9',
      PORTCULLIS_CLIENT_ID: 'app',
      PORTCULLIS_CLIENT_SECRET: 's',
      PORTCULLIS_BASE_URL: 'http://localhost:3000',
      PORTCULLIS_SESSION_KEYS: 'k'.repeat(40),
      PORTCULLIS_PORT: '0',
      PORTCULLIS_STATIC: '.',
      ...env,
    },
  });
  const server = await startServer(config, { logger: createServerLogger({ level: 'silent' }) });
  running.push(server);
  return server.url;
}

describe('startServer static compression', () => {
  it('compresses by default', async () => {
    const url = await start({});
    expect(await encodingOf(`${url}/assets/app-AbCdEf12.js`)).toBe('br');
  });

  it('PORTCULLIS_STATIC_COMPRESS=false: no on-the-fly compression, precompressed files still served', async () => {
    const url = await start({ PORTCULLIS_STATIC_COMPRESS: 'false' });
    expect(await encodingOf(`${url}/assets/app-AbCdEf12.js`)).toBeUndefined();
    expect(await encodingOf(`${url}/assets/pre-AbCdEf12.js`)).toBe('br');
  });
});

/**
 * serveStatic's encodings and ranges over real HTTP (raw bytes, no client
 * decompression): precompressed .br/.gz files, on-the-fly brotli/gzip above
 * the threshold, Vary and per-encoding ETags, single ranges, 416, If-Range.
 */
import { mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptedEncodings, Compressor, isCompressible } from '../../src/server/static-encoding.ts';
import { parseRange } from '../../src/server/static-range.ts';
import { serveStatic, type StaticFilesOptions } from '../../src/server/static-files.ts';

let root: string;
const servers: Server[] = [];
// 6 KB of text that compresses well, and a binary-ish file of the same size.
const JS = `export const rows = [${Array.from({ length: 300 }, (_, i) => `"row ${i}"`).join(',')}];\n`;
const PNG = Buffer.from(Array.from({ length: 6000 }, (_, i) => (i * 7919) % 256));
// Precompressed variants with a marker, so the test can tell them from on-the-fly output.
const PRE = `/* precompressed */ ${JS}`;

async function serve(options: Partial<StaticFilesOptions> = {}): Promise<string> {
  const app = new Koa();
  app.use(serveStatic({ root, ...options }));
  const server = createServer(app.callback());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A request whose body comes back as sent (Node's fetch would decompress it). */
function raw(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'portcullis-static-enc-'));
  mkdirSync(path.join(root, 'assets'));
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(path.join(root, 'assets', 'app-AbCdEf12.js'), JS);
  writeFileSync(path.join(root, 'assets', 'pre-AbCdEf12.js'), JS);
  writeFileSync(path.join(root, 'assets', 'pre-AbCdEf12.js.br'), brotliCompressSync(PRE));
  writeFileSync(path.join(root, 'assets', 'pre-AbCdEf12.js.gz'), gzipSync(PRE));
  writeFileSync(path.join(root, 'small.css'), 'body{margin:0}');
  writeFileSync(path.join(root, 'photo.png'), PNG);
  // A precompressed "variant" that is a link out of the root must never be served.
  const outside = mkdtempSync(path.join(tmpdir(), 'portcullis-enc-outside-'));
  writeFileSync(path.join(outside, 'leak.br'), brotliCompressSync('OUTSIDE-SECRET'));
  writeFileSync(path.join(root, 'linked.js'), JS);
  symlinkSync(path.join(outside, 'leak.br'), path.join(root, 'linked.js.br'));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('serveStatic encodings', () => {
  it('compresses text on the fly with brotli or gzip, with Vary, a length and an ETag per encoding', async () => {
    const url = `${await serve()}/assets/app-AbCdEf12.js`;
    const br = await raw(url, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['vary']).toMatch(/accept-encoding/i);
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(br.body.length).toBeLessThan(JS.length / 3);
    expect(brotliDecompressSync(br.body).toString()).toBe(JS);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');

    const gz = await raw(url, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(JS);

    const plain = await raw(url);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['vary']).toMatch(/accept-encoding/i);
    expect(plain.body.toString()).toBe(JS);

    const tags = [br, gz, plain].map((r) => r.headers['etag']);
    expect(new Set(tags).size).toBe(3);
    expect(tags[0]).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+-br"$/);
    // A 304 only for the tag of the encoding that would be sent.
    expect((await raw(url, { 'accept-encoding': 'br', 'if-none-match': tags[0]! })).status).toBe(304);
    expect((await raw(url, { 'accept-encoding': 'br', 'if-none-match': tags[2]! })).status).toBe(200);
    expect((await raw(url, { 'if-none-match': tags[2]! })).status).toBe(304);
  });

  it('follows q-values: br;q=0 gets gzip, identity-only gets the file, * counts', async () => {
    const url = `${await serve()}/assets/app-AbCdEf12.js`;
    expect((await raw(url, { 'accept-encoding': 'br;q=0, gzip' })).headers['content-encoding']).toBe('gzip');
    expect((await raw(url, { 'accept-encoding': 'gzip;q=1, br;q=0.5' })).headers['content-encoding']).toBe('gzip');
    expect((await raw(url, { 'accept-encoding': 'identity' })).headers['content-encoding']).toBeUndefined();
    expect((await raw(url, { 'accept-encoding': '*' })).headers['content-encoding']).toBe('br');
  });

  it('leaves small files and binary types uncompressed', async () => {
    const url = await serve();
    expect((await raw(`${url}/small.css`, { 'accept-encoding': 'br, gzip' })).headers['content-encoding']).toBeUndefined();
    const png = await raw(`${url}/photo.png`, { 'accept-encoding': 'br, gzip' });
    expect(png.headers['content-encoding']).toBeUndefined();
    expect(png.body.equals(PNG)).toBe(true);
  });

  it('serves precompressed .br and .gz files as they are, with their own ETags', async () => {
    const url = `${await serve()}/assets/pre-AbCdEf12.js`;
    const br = await raw(url, { 'accept-encoding': 'gzip, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(brotliDecompressSync(br.body).toString()).toBe(PRE);
    const gz = await raw(url, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(PRE);
    expect(Number(gz.headers['content-length'])).toBe(gz.body.length);
    expect((await raw(url)).body.toString()).toBe(JS);
    expect(br.headers['etag']).not.toBe(gz.headers['etag']);
    expect((await raw(url, { 'accept-encoding': 'br', 'if-none-match': br.headers['etag']! })).status).toBe(304);
    const head = await raw(url, { 'accept-encoding': 'br' }, 'HEAD');
    expect(head.headers['content-length']).toBe(br.headers['content-length']);
    expect(head.body.length).toBe(0);
  });

  it('ignores a precompressed file older than its original (a leftover of an earlier build)', async () => {
    writeFileSync(path.join(root, 'stale.js'), JS);
    writeFileSync(path.join(root, 'stale.js.br'), brotliCompressSync('/* old build */'));
    utimesSync(path.join(root, 'stale.js.br'), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const stale = await raw(`${await serve()}/stale.js`, { 'accept-encoding': 'br' });
    expect(stale.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(stale.body).toString()).toBe(JS);
  });

  it('serves precompressed files even with on-the-fly compression off; never a variant linked out of the root', async () => {
    const url = await serve({ compress: false });
    expect((await raw(`${url}/assets/pre-AbCdEf12.js`, { 'accept-encoding': 'br' })).headers['content-encoding']).toBe('br');
    expect((await raw(`${url}/assets/app-AbCdEf12.js`, { 'accept-encoding': 'br' })).headers['content-encoding']).toBeUndefined();
    const linked = await raw(`${url}/linked.js`, { 'accept-encoding': 'br' });
    expect(linked.headers['content-encoding']).toBeUndefined();
    expect(linked.body.toString()).toBe(JS);
  });

  it('answers HEAD for on-the-fly encodings with the compressed length and no body', async () => {
    const url = `${await serve()}/assets/app-AbCdEf12.js`;
    const get = await raw(url, { 'accept-encoding': 'br' });
    const head = await raw(url, { 'accept-encoding': 'br' }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-encoding']).toBe('br');
    expect(head.headers['content-length']).toBe(String(get.body.length));
    expect(head.body.length).toBe(0);
  });
});

describe('serveStatic ranges', () => {
  it('answers one range with 206 and the uncompressed bytes, whatever Accept-Encoding says', async () => {
    const url = `${await serve()}/assets/app-AbCdEf12.js`;
    const first = await raw(url, { range: 'bytes=0-9', 'accept-encoding': 'br, gzip' });
    expect(first.status).toBe(206);
    expect(first.headers['content-encoding']).toBeUndefined();
    expect(first.headers['content-range']).toBe(`bytes 0-9/${JS.length}`);
    expect(first.headers['content-length']).toBe('10');
    expect(first.body.toString()).toBe(JS.slice(0, 10));
    const suffix = await raw(url, { range: 'bytes=-5' });
    expect(suffix.status).toBe(206);
    expect(suffix.body.toString()).toBe(JS.slice(-5));
    const open = await raw(url, { range: `bytes=${JS.length - 3}-` });
    expect(open.body.toString()).toBe(JS.slice(-3));
    expect((await raw(url)).headers['accept-ranges']).toBe('bytes');
  });

  it('416 for a range beyond the end; the whole file for several ranges or a stale If-Range', async () => {
    const url = `${await serve()}/assets/app-AbCdEf12.js`;
    const beyond = await raw(url, { range: `bytes=${JS.length}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${JS.length}`);
    expect(beyond.headers['cache-control']).toBe('no-store');
    expect(beyond.headers['etag']).toBeUndefined();
    const several = await raw(url, { range: 'bytes=0-1,5-6' });
    expect(several.status).toBe(200);
    expect(several.body.toString()).toBe(JS);
    const plain = await raw(url);
    // A weak ETag never satisfies If-Range; the exact Last-Modified does.
    expect((await raw(url, { range: 'bytes=0-1', 'if-range': plain.headers['etag']! })).status).toBe(200);
    expect((await raw(url, { range: 'bytes=0-1', 'if-range': plain.headers['last-modified']! })).status).toBe(206);
    expect((await raw(url, { range: 'bytes=0-1', 'if-range': 'Thu, 01 Jan 1970 00:00:00 GMT' })).status).toBe(200);
  });

  it('parseRange', () => {
    expect(parseRange('bytes=0-0', 10)).toEqual({ kind: 'partial', start: 0, end: 0 });
    expect(parseRange('bytes=5-100', 10)).toEqual({ kind: 'partial', start: 5, end: 9 });
    expect(parseRange('bytes=-100', 10)).toEqual({ kind: 'partial', start: 0, end: 9 });
    expect(parseRange('bytes=-0', 10)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=5-2', 10)).toEqual({ kind: 'full' });
    expect(parseRange('items=0-1', 10)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=-', 10)).toEqual({ kind: 'full' });
  });
});

describe('encoding helpers', () => {
  it('acceptedEncodings and isCompressible', () => {
    expect(acceptedEncodings('gzip, deflate, br')).toEqual(['br', 'gzip']);
    expect(acceptedEncodings('gzip;q=0.8, br;q=0.9')).toEqual(['br', 'gzip']);
    expect(acceptedEncodings('x-gzip')).toEqual(['gzip']);
    expect(acceptedEncodings('*;q=0.5, br;q=0')).toEqual(['gzip']);
    expect(acceptedEncodings('identity')).toEqual([]);
    expect(acceptedEncodings(undefined)).toEqual([]);
    for (const type of ['text/html; charset=utf-8', 'application/javascript', 'application/json', 'image/svg+xml', 'application/manifest+json']) expect(isCompressible(type), type).toBe(true);
    for (const type of ['image/png', 'font/woff2', 'application/octet-stream', 'video/mp4']) expect(isCompressible(type), type).toBe(false);
  });

  it('Compressor caches per file version, evicts past its budget, and streams large files', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-compressor-'));
    const file = path.join(dir, 'a.js');
    writeFileSync(file, JS);
    const compressor = new Compressor({ cacheBytes: 4096 });
    const stats = { size: JS.length, mtimeMs: 1000 };
    const [one, two] = await Promise.all([compressor.compress(file, stats, 'br'), compressor.compress(file, stats, 'br')]);
    const again = await compressor.compress(file, stats, 'br');
    expect('buffer' in one && 'buffer' in two && 'buffer' in again && one.buffer === two.buffer && two.buffer === again.buffer).toBe(true);
    // A new version of the file (other mtime) is compressed again.
    writeFileSync(file, `${JS}//v2`);
    utimesSync(file, 2, 2);
    const v2 = await compressor.compress(file, { size: JS.length + 4, mtimeMs: 2000 }, 'br');
    expect('buffer' in v2 && brotliDecompressSync(v2.buffer).toString().endsWith('//v2')).toBe(true);
    expect(compressor.cachedBytes).toBeLessThanOrEqual(4096);

    const streaming = new Compressor({ maxBuffered: 100 });
    const body = await streaming.compress(file, { size: JS.length + 4, mtimeMs: 2000 }, 'gzip');
    expect('stream' in body).toBe(true);
    const chunks: Buffer[] = [];
    if ('stream' in body) for await (const chunk of body.stream) chunks.push(chunk as Buffer);
    expect(gunzipSync(Buffer.concat(chunks)).toString()).toBe(`${JS}//v2`);
  });
});

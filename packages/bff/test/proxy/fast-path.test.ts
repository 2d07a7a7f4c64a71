/**
 * The Node-level fast path's own pieces: it reads and writes the session
 * cookie exactly as Koa does, splits request targets as Koa's `ctx.path` /
 * `ctx.search`, takes only API routes (and refuses their other spellings),
 * and `bff.callback(app)` leaves everything else to the Koa app.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBff } from '../../src/bff.ts';
import { silentLogger } from '../../src/logger.ts';
import { splitTarget } from '../../src/proxy/routing.ts';
import { cookieValue, sessionCookieHeader } from '../../src/session/cookie.ts';

describe('session cookie without Koa', () => {
  it('writes the bytes ctx.cookies.set writes with the BFF cookie options', () => {
    const app = new Koa();
    for (const [secure, sameSite] of [
      [false, 'lax'],
      [true, 'strict'],
    ] as const) {
      const ctx = app.createContext({ headers: {}, socket: { encrypted: true } } as never, { getHeader: () => undefined, setHeader() {} } as never);
      let written: string[] = [];
      ctx.res.setHeader = ((_name: string, value: string[]) => void (written = value)) as never;
      ctx.cookies.set('__Host-portcullis', 'id.mac', { httpOnly: true, secure, sameSite, path: '/', overwrite: true, signed: false, maxAge: 60_000 });
      const expected = written[0]!;
      const ours = sessionCookieHeader('__Host-portcullis', 'id.mac', { secure, sameSite }, 60_000);
      // The expiry is "now + maxAge": compare with the seconds masked.
      const mask = (s: string) => s.replace(/expires=[^;]+/, 'expires=X');
      expect(mask(ours)).toBe(mask(expected));
      ctx.cookies.set('__Host-portcullis', '', { httpOnly: true, secure, sameSite, path: '/', overwrite: true, signed: false, expires: new Date(0) });
      expect(sessionCookieHeader('__Host-portcullis', '', { secure, sameSite })).toBe(written[0]);
    }
  });

  it('reads the value ctx.cookies.get reads', () => {
    expect(cookieValue('a=1; portcullis=x.y; portcullis=z', 'portcullis')).toBe('x.y');
    expect(cookieValue('xportcullis=1;portcullis="q"', 'portcullis')).toBe('q');
    expect(cookieValue('a=1', 'portcullis')).toBeUndefined();
    expect(cookieValue(undefined, 'portcullis')).toBeUndefined();
  });
});

describe('splitTarget', () => {
  it('splits origin-form targets like ctx.path / ctx.search and leaves other forms to Koa', () => {
    expect(splitTarget('/api/x?a=1')).toEqual({ path: '/api/x', search: '?a=1' });
    expect(splitTarget('/api/x?')).toEqual({ path: '/api/x', search: '' });
    expect(splitTarget('/api/x')).toEqual({ path: '/api/x', search: '' });
    expect(splitTarget('http://h/api/x')).toBeUndefined();
    expect(splitTarget('/api/x#f')).toBeUndefined();
    expect(splitTarget('*')).toBeUndefined();
  });
});

describe('bff.handle and bff.callback', () => {
  let server: Server;
  let base: string;
  let upstream: Server;
  const bff = createBff({
    issuer: 'http://localhost:1',
    clientId: 'c',
    clientSecret: 's',
    baseUrl: 'http://localhost:2',
    session: { keys: ['k'.repeat(32)] },
    apis: [{ path: '/api/open', target: 'http://127.0.0.1:9/x', token: 'none' }],
    logger: silentLogger,
  });

  beforeAll(async () => {
    upstream = createServer((req, res) => res.end(JSON.stringify({ url: req.url, auth: req.headers.authorization ?? null })));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as AddressInfo).port;
    const proxied = createBff({ ...bffOptions(port) });
    const app = new Koa();
    app.use(proxied);
    app.use((ctx) => {
      ctx.body = { koa: ctx.path };
    });
    server = createServer(proxied.callback(app));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    afterAll(() => proxied.close());
  });
  afterAll(async () => {
    await bff.close();
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => upstream.close(() => r()));
  });

  const bffOptions = (port: number) => ({
    issuer: 'http://localhost:1',
    clientId: 'c',
    clientSecret: 's',
    baseUrl: 'http://localhost:2',
    session: { keys: ['k'.repeat(32)] },
    apis: [{ path: '/api/open', target: `http://127.0.0.1:${port}/x`, token: 'none' as const }],
    logger: silentLogger,
  });
  const get = (path: string, headers: Record<string, string> = { 'x-csrf': '1' }) => fetch(base + path, { headers });

  it('returns false (and writes nothing) for paths that are not API routes', () => {
    let wrote = false;
    const res = { writeHead: () => (wrote = true), end: () => (wrote = true) } as never;
    for (const url of ['/', '/bff/user', '/%62ff/user', '/app/x', 'http://h/api/open']) expect(bff.handle({ url, headers: {} } as never, res)).toBe(false);
    expect(wrote).toBe(false);
  });

  it('proxies API routes, refuses other spellings of them, and hands the rest to Koa', async () => {
    const proxied = await get('/api/open/a?b=1');
    expect(await proxied.json()).toEqual({ url: '/x/a?b=1', auth: null });
    const refused = await get('/%61pi/open/a');
    expect(refused.status).toBe(400);
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect(await refused.json()).toMatchObject({ error: 'invalid_request' });
    const csrf = await get('/api/open', {});
    expect(csrf.status).toBe(403);
    expect(await csrf.json()).toMatchObject({ error: 'csrf_required' });
    expect(await (await get('/app/page')).json()).toEqual({ koa: '/app/page' });
  });
});

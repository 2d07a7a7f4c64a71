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
import { internalsOf } from '../../src/internals.ts';
import { cookieValue, sessionCookieHeader, signId } from '../../src/session/cookie.ts';

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

describe('the synchronous hot path', () => {
  const KEYS = ['k'.repeat(32)];
  let upstream: Server;
  let server: Server;
  let base: string;
  let bff: ReturnType<typeof createBff>;
  /** What the request looked like right after `bff.handle` returned. */
  const afterHandle: Array<{ url: string | undefined; authorization: string | undefined }> = [];

  beforeAll(async () => {
    upstream = createServer((req, res) => res.end(JSON.stringify({ url: req.url, auth: req.headers.authorization ?? null })));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    bff = createBff({
      // No provider: a refresh attempt fails, and a still-valid token carries the call.
      issuer: 'http://127.0.0.1:9',
      clientId: 'c',
      clientSecret: 's',
      baseUrl: 'http://localhost:2',
      session: { keys: KEYS, idleTimeout: 100 },
      apis: [{ path: '/api/user', target: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/x`, token: 'user' }],
      logger: silentLogger,
    });
    server = createServer((req, res) => {
      bff.handle(req, res);
      afterHandle.push({ url: req.url, authorization: req.headers.authorization });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await bff.close();
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => upstream.close(() => r()));
  });

  /** A signed-in session written straight into the BFF's memory store; its cookie. */
  async function session(id: string, expiresIn: number, idleLeftMs: number): Promise<string> {
    const auth = {
      sub: 'alice',
      claims: {},
      logoutId: 'l',
      createdAt: Date.now(),
      tokens: { accessToken: `AT-${id}`, refreshToken: 'RT', idToken: 'ID', expiresAt: Math.floor(Date.now() / 1000) + expiresIn },
    };
    await internalsOf(bff).repository.set(id, { auth, _expire: Date.now() + idleLeftMs, _maxAge: 100_000 }, 60_000);
    return `portcullis=${signId(id, KEYS)}`;
  }
  const call = (cookie: string) => fetch(`${base}/api/user/a`, { headers: { cookie, 'x-csrf': '1' } });

  it('forwards a call whose session, token and idle deadline are at hand before handle returns', async () => {
    const response = await call(await session('s'.repeat(43), 3600, 90_000));
    expect(await response.json()).toEqual({ url: '/x/a', auth: `Bearer AT-${'s'.repeat(43)}` });
    expect(response.headers.get('set-cookie')).toBeNull();
    // The proxy has the request already: its path below the route, its token.
    expect(afterHandle.at(-1)).toEqual({ url: '/a', authorization: `Bearer AT-${'s'.repeat(43)}` });
  });

  it('awaits (and still answers alike) when the token is due for refresh, or the idle deadline for renewal', async () => {
    const due = await call(await session('d'.repeat(43), 20, 90_000));
    expect(await due.json()).toEqual({ url: '/x/a', auth: `Bearer AT-${'d'.repeat(43)}` });
    expect(afterHandle.at(-1)).toEqual({ url: '/api/user/a', authorization: undefined });

    const renewal = await call(await session('r'.repeat(43), 3600, 40_000));
    expect(await renewal.json()).toEqual({ url: '/x/a', auth: `Bearer AT-${'r'.repeat(43)}` });
    expect(renewal.headers.get('set-cookie')).toMatch(/^portcullis=r{43}\./);
    expect(afterHandle.at(-1)).toEqual({ url: '/api/user/a', authorization: undefined });
  });

  it('refuses without a session synchronously, with the same answer', async () => {
    const response = await fetch(`${base}/api/user/a`, { headers: { 'x-csrf': '1' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });
});

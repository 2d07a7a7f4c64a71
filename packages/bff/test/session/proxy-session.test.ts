/** The proxied-call session reader: same cookie, record and lifetime rules as the endpoints' koa-session. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/options.ts';
import { signId } from '../../src/session/cookie.ts';
import { TokenCipher } from '../../src/session/crypto.ts';
import { MemorySessionStore } from '../../src/session/memory-store.ts';
import { LATER } from '../../src/later.ts';
import { createProxySessionMiddleware, createSessionReader, type LoadedSession } from '../../src/session/proxy-session.ts';
import { SessionRepository } from '../../src/session/repository.ts';
import { authOf, commitSession } from '../../src/session/session-middleware.ts';

const KEY = 'k'.repeat(32);
const ID = 'a'.repeat(43);
const options = resolveOptions({ issuer: 'http://localhost:1', clientId: 'c', clientSecret: 's', baseUrl: 'http://localhost:2', session: { keys: [KEY], idleTimeout: 100, absoluteTimeout: 1000 } });
const store = new MemorySessionStore();
const repository = new SessionRepository(store, new TokenCipher([KEY]));
let server: Server;
let base: string;

beforeAll(async () => {
  const app = new Koa();
  app.use(createProxySessionMiddleware(options, repository));
  app.use(async (ctx) => {
    await commitSession(ctx);
    ctx.body = { sub: authOf(ctx)?.sub ?? null };
  });
  server = createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  store.close();
});

const auth = (createdAt = Date.now()) => ({
  sub: 'alice',
  claims: {},
  logoutId: 'l',
  createdAt,
  tokens: { accessToken: 'AT', refreshToken: 'RT', idToken: 'ID', expiresAt: Math.floor(Date.now() / 1000) + 300 },
});
const save = (record: Record<string, unknown>) => repository.set(ID, record, 60_000);
const call = (cookie?: string) => fetch(base, { headers: cookie ? { cookie: `portcullis=${cookie}` } : {} });
const body = async (r: Response) => ((await r.json()) as { sub: string | null }).sub;

beforeEach(async () => {
  await store.destroy(ID);
  await store.destroy(`ended:${ID}`);
});

describe('proxied-call sessions', () => {
  it('reads a signed-in session from its signed cookie', async () => {
    await save({ auth: auth(), _expire: Date.now() + 100_000, _maxAge: 100_000 });
    const response = await call(signId(ID, [KEY]));
    expect(await body(response)).toBe('alice');
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('is anonymous without a cookie, with a bad signature, or for an unknown id', async () => {
    await save({ auth: auth(), _expire: Date.now() + 100_000 });
    expect(await body(await call())).toBeNull();
    expect(await body(await call(`${ID}.forged`))).toBeNull();
    expect(await body(await call(signId('b'.repeat(43), [KEY])))).toBeNull();
  });

  it('is anonymous past the idle expiry or the absolute deadline', async () => {
    await save({ auth: auth(), _expire: Date.now() - 1 });
    expect(await body(await call(signId(ID, [KEY])))).toBeNull();
    await save({ auth: auth(Date.now() - 1_001_000), _expire: Date.now() + 100_000 });
    expect(await body(await call(signId(ID, [KEY])))).toBeNull();
  });

  it('extends the idle timeout once less than half of it is left: record and cookie', async () => {
    await save({ auth: auth(), _expire: Date.now() + 40_000, _maxAge: 100_000 });
    const response = await call(signId(ID, [KEY]));
    expect(await body(response)).toBe('alice');
    expect(response.headers.get('set-cookie')).toMatch(/^portcullis=.+; path=\/; expires=.+; samesite=strict; httponly$/i);
    const record = (await repository.get(ID))!;
    expect(record['_expire'] as number).toBeGreaterThan(Date.now() + 90_000);
    expect((record['auth'] as { tokens: { accessToken: string } }).tokens.accessToken).toBe('AT');
  });

  it('never writes back an ended session', async () => {
    await save({ auth: auth(), _expire: Date.now() + 40_000 });
    const cookie = signId(ID, [KEY]);
    await repository.destroy(ID);
    expect(await body(await call(cookie))).toBeNull();
    expect(await repository.get(ID)).toBeUndefined();
  });
});

describe('synchronous reads (the proxy hot path)', () => {
  const reader = createSessionReader(options, repository);
  const cookie = () => `portcullis=${signId(ID, [KEY])}`;

  it('loadNow gives what load gives, without a promise, once the tokens are decrypted', async () => {
    await save({ auth: auth(), _expire: Date.now() + 90_000, _maxAge: 100_000 });
    const loaded = await reader.load(cookie());
    const now = reader.loadNow(cookie());
    expect(now).not.toBeInstanceOf(Promise);
    expect(now).toEqual(loaded);
    expect(reader.loadNow(undefined)).toBeUndefined();
    expect(reader.loadNow(`portcullis=${signId(ID, ['x'.repeat(32)])}`)).toBeUndefined();
    expect(reader.renewalDue(loaded!)).toBe(false);
  });

  it('is LATER, not stale, when another instance rewrote the record: its tokens must be decrypted again', async () => {
    await save({ auth: auth(), _expire: Date.now() + 90_000, _maxAge: 100_000 });
    await reader.load(cookie());
    // Another BFF instance (its own repository and cache) refreshes the tokens into the shared store.
    const other = new SessionRepository(store, new TokenCipher([KEY]));
    const current = (await other.get(ID))!;
    const refreshed = { ...(current['auth'] as object), tokens: { ...auth().tokens, accessToken: 'AT2' } };
    expect(await other.set(ID, { ...current, auth: refreshed }, 60_000)).toBe(true);
    expect(reader.loadNow(cookie())).toBe(LATER);
    expect((await reader.load(cookie()))!.auth.tokens.accessToken).toBe('AT2');
    expect((reader.loadNow(cookie()) as LoadedSession).auth.tokens.accessToken).toBe('AT2');
  });

  it('is LATER for a store without getNow (Redis, any store doing I/O)', async () => {
    const asyncOnly = { get: store.get.bind(store), set: store.set.bind(store), destroy: store.destroy.bind(store), setIf: store.setIf.bind(store) };
    const asyncReader = createSessionReader(options, new SessionRepository(asyncOnly, new TokenCipher([KEY])));
    await save({ auth: auth(), _expire: Date.now() + 90_000, _maxAge: 100_000 });
    expect((await asyncReader.load(cookie()))!.auth.sub).toBe('alice');
    expect(asyncReader.loadNow(cookie())).toBe(LATER);
  });

  it('hands out a copy: a change to a loaded session never reaches the next reader', async () => {
    await save({ auth: auth(), _expire: Date.now() + 90_000, _maxAge: 100_000 });
    await reader.load(cookie());
    const first = reader.loadNow(cookie()) as LoadedSession;
    first.auth.tokens = { ...first.auth.tokens, accessToken: 'changed' };
    expect((reader.loadNow(cookie()) as LoadedSession).auth.tokens.accessToken).toBe('AT');
  });

  it('says when the idle deadline is due for renewal', async () => {
    await save({ auth: auth(), _expire: Date.now() + 40_000, _maxAge: 100_000 });
    expect(reader.renewalDue((await reader.load(cookie()))!)).toBe(true);
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { createAuthInfo } from '../src/auth-info.ts';
import { Discovery } from '../src/discovery.ts';
import { InvalidToken, TemporarilyUnavailable } from '../src/errors.ts';
import { IntrospectionCache, Introspector } from '../src/introspect.ts';
import { resolveOptions, type IntrospectionOptions } from '../src/options.ts';
import { AUDIENCE, startAuthorizationServer, type FakeAuthorizationServer } from './helpers/authorization-server.ts';

let as: FakeAuthorizationServer;
const TOKEN = 'opaque-token-0123456789';
const now = () => Math.floor(Date.now() / 1000);

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  as = await startAuthorizationServer();
  as.introspect = (token) => (token === TOKEN ? { active: true, iss: as.issuer, aud: AUDIENCE, client_id: 'worker', scope: 'orders:read', exp: now() + 600, token_type: 'Bearer' } : { active: false });
});
afterEach(async () => {
  vi.useRealTimers();
  await as.close();
});

function introspector(introspection: Partial<IntrospectionOptions> = {}): Introspector {
  const resolved = resolveOptions({
    issuer: as.issuer,
    audience: AUDIENCE,
    introspection: { clientId: 'orders api', clientSecret: 's3cr:et', ...introspection },
  });
  return new Introspector(resolved, new Discovery(resolved.issuer, { timeout: 2000 }));
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (err: unknown) => err as Error,
  );
}

describe('Introspector', () => {
  it('posts the token with client_secret_basic and returns the caller', async () => {
    const auth = await introspector().introspect(TOKEN);
    expect(auth).toMatchObject({ kind: 'client', sub: undefined, clientId: 'worker', scopes: ['orders:read'], source: 'introspection' });
    expect(auth.claims).not.toHaveProperty('active');
    const [request] = as.introspectionRequests;
    expect(request).toEqual({
      token: TOKEN,
      tokenTypeHint: 'access_token',
      // RFC 6749 §2.3.1: form-urlencoded before base64 ("orders api" -> "orders+api", ":" -> "%3A")
      authorization: `Basic ${Buffer.from('orders+api:s3cr%3Aet').toString('base64')}`,
      contentType: 'application/x-www-form-urlencoded',
    });
  });

  it('rejects active: false with invalid_token', async () => {
    const err = await rejection(introspector().introspect('revoked-token'));
    expect(err).toBeInstanceOf(InvalidToken);
    expect((err as InvalidToken).description).toBe('the access token is not active');
  });

  it.each([
    ['another issuer', { iss: 'https://evil.example' }, 'the access token was issued by another issuer'],
    ['another audience', { aud: ['https://other.example'] }, 'the access token is not intended for this resource server'],
    ['an expired token', { exp: 1000 }, 'the access token expired'],
    ['a future nbf', { nbf: 4_000_000_000 }, 'the access token is not yet valid'],
    ['a refresh token', { token_type: 'refresh_token' }, 'the token is not an access token'],
    ['no client_id', { client_id: undefined }, 'the access token has no client_id'],
  ])('rejects %s', async (_, override, description) => {
    as.introspect = () => ({ active: true, iss: as.issuer, aud: AUDIENCE, client_id: 'worker', exp: now() + 60, ...override });
    const err = await rejection(introspector().introspect(TOKEN));
    expect(err).toBeInstanceOf(InvalidToken);
    expect((err as InvalidToken).description).toBe(description);
  });

  it('accepts a response without aud, iss or exp (they are checked only when present)', async () => {
    as.introspect = () => ({ active: true, client_id: 'spa', sub: 'alice' });
    await expect(introspector().introspect(TOKEN)).resolves.toMatchObject({ kind: 'user', sub: 'alice' });
  });

  it('caches an active answer: the second call makes no request', async () => {
    const i = introspector();
    const first = await i.introspect(TOKEN);
    expect(await i.introspect(TOKEN)).toBe(first);
    expect(as.counts.introspection).toBe(1);
  });

  it('shares one request between concurrent calls', async () => {
    const i = introspector();
    await Promise.all([i.introspect(TOKEN), i.introspect(TOKEN), i.introspect(TOKEN)]);
    expect(as.counts.introspection).toBe(1);
  });

  it('expires the cache after cacheTtl (default 30 s)', async () => {
    const i = introspector();
    await i.introspect(TOKEN);
    vi.setSystemTime(Date.now() + 29_000);
    await i.introspect(TOKEN);
    expect(as.counts.introspection).toBe(1);
    vi.setSystemTime(Date.now() + 2_000);
    await i.introspect(TOKEN);
    expect(as.counts.introspection).toBe(2);
  });

  it('never caches beyond the token exp', async () => {
    const exp = now() + 10;
    as.introspect = () => (now() < exp ? { active: true, client_id: 'worker', exp } : { active: false });
    const i = introspector({ cacheTtl: 300 });
    await i.introspect(TOKEN);
    vi.setSystemTime(Date.now() + 11_000);
    await expect(i.introspect(TOKEN)).rejects.toBeInstanceOf(InvalidToken);
    expect(as.counts.introspection).toBe(2);
  });

  it('does not cache negative answers, nor anything with cacheTtl 0', async () => {
    const i = introspector();
    await expect(i.introspect('bad')).rejects.toBeInstanceOf(InvalidToken);
    await expect(i.introspect('bad')).rejects.toBeInstanceOf(InvalidToken);
    expect(as.counts.introspection).toBe(2);
    const uncached = introspector({ cacheTtl: 0 });
    await uncached.introspect(TOKEN);
    await uncached.introspect(TOKEN);
    expect(as.counts.introspection).toBe(4);
  });

  it('throws TemporarilyUnavailable when discovery is down', async () => {
    as.discoveryStatus = 503;
    expect(await rejection(introspector().introspect(TOKEN))).toBeInstanceOf(TemporarilyUnavailable);
  });

  it('throws TemporarilyUnavailable on a malformed answer, without the token in the message', async () => {
    as.introspect = () => ({ activ: true });
    const err = await rejection(introspector().introspect(TOKEN));
    expect(err).toBeInstanceOf(TemporarilyUnavailable);
    expect(err.message).toMatch(/no boolean "active"/);
    expect(err.message).not.toContain(TOKEN);
  });
});

describe('IntrospectionCache', () => {
  const auth = createAuthInfo({ client_id: 'c' }, 'introspection');

  it('is bounded, evicting the least recently used entry', () => {
    const cache = new IntrospectionCache(2);
    const far = Date.now() + 60_000;
    cache.set('a', auth, far);
    cache.set('b', auth, far);
    expect(cache.get('a')).toBe(auth); // a is now the most recent
    cache.set('c', auth, far);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(auth);
    expect(cache.get('c')).toBe(auth);
  });

  it('drops expired entries on read', () => {
    const cache = new IntrospectionCache(10);
    cache.set('a', auth, Date.now() - 1);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';

import { Discovery, metadataUrls } from '../src/discovery.ts';
import { TemporarilyUnavailable } from '../src/errors.ts';
import { startAuthorizationServer, unusedPort, type FakeAuthorizationServer } from './helpers/authorization-server.ts';

let as: FakeAuthorizationServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await as?.close();
  as = undefined;
});

describe('metadataUrls', () => {
  it('appends openid-configuration and inserts oauth-authorization-server before the path', () => {
    expect(metadataUrls('https://id.example.com')).toEqual(['https://id.example.com/.well-known/openid-configuration', 'https://id.example.com/.well-known/oauth-authorization-server']);
    expect(metadataUrls('https://id.example.com/tenant/')).toEqual([
      'https://id.example.com/tenant/.well-known/openid-configuration',
      'https://id.example.com/.well-known/oauth-authorization-server/tenant',
    ]);
  });
});

describe('Discovery', () => {
  it('fetches OpenID Connect discovery once and caches it', async () => {
    as = await startAuthorizationServer();
    const discovery = new Discovery(as.issuer, { timeout: 2000 });
    const [a, b] = await Promise.all([discovery.get(), discovery.get()]);
    await discovery.get();
    expect(a).toBe(b);
    expect(a.jwks_uri).toBe(`${as.origin}/jwks`);
    expect(as.counts.discovery).toBe(1);
  });

  it('falls back to RFC 8414 oauth-authorization-server metadata', async () => {
    as = await startAuthorizationServer({ issuerPath: '/tenant', oauthMetadataOnly: true });
    const metadata = await new Discovery(as.issuer, { timeout: 2000 }).get();
    expect(metadata.issuer).toBe(as.issuer);
    expect(as.counts.discovery).toBe(1);
  });

  it('refuses metadata naming another issuer', async () => {
    as = await startAuthorizationServer({ metadataIssuer: 'https://evil.example.com' });
    const error = await new Discovery(as.issuer, { timeout: 2000 }).get().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TemporarilyUnavailable);
    expect((error as Error).message).toMatch(/names issuer "https:\/\/evil.example.com"/);
  });

  it('throws TemporarilyUnavailable when the server is unreachable, and recovers later', async () => {
    const port = await unusedPort();
    const error = await new Discovery(`http://127.0.0.1:${port}`, { timeout: 2000 }).get().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TemporarilyUnavailable);
    expect((error as TemporarilyUnavailable).status).toBe(503);

    as = await startAuthorizationServer();
    as.discoveryStatus = 500;
    const discovery = new Discovery(as.issuer, { timeout: 2000 });
    await expect(discovery.get()).rejects.toBeInstanceOf(TemporarilyUnavailable);
    as.discoveryStatus = 200; // failures are not cached
    await expect(discovery.get()).resolves.toMatchObject({ issuer: as.issuer });
  });

  it('refreshes after maxAge and keeps serving stale metadata while the server is down', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    as = await startAuthorizationServer();
    const discovery = new Discovery(as.issuer, { timeout: 2000, maxAge: 60_000, retryAfter: 10_000 });
    const first = await discovery.get();
    vi.setSystemTime(Date.now() + 61_000);
    as.discoveryStatus = 503;
    expect(await discovery.get()).toBe(first);
    expect(as.counts.discovery).toBe(2);
    expect(await discovery.get()).toBe(first); // within retryAfter: no new request
    expect(as.counts.discovery).toBe(2);
    vi.setSystemTime(Date.now() + 11_000);
    as.discoveryStatus = 200;
    const refreshed = await discovery.get();
    expect(refreshed).not.toBe(first);
    expect(as.counts.discovery).toBe(3);
  });
});

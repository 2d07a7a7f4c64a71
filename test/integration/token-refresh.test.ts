/**
 * Refresh against the real provider with rotation on: single-flight under
 * 100 concurrent calls, a refused refresh token ends the session, an
 * unreachable provider keeps it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import { BffClient } from '../helpers/bff-client.ts';
import { authOf, expireAccessToken, sessionIdOf } from '../helpers/sessions.ts';
import { internalsOf } from '../../packages/bff/src/internals.ts';

let stack: DemoStack;
beforeAll(async () => {
  stack = await startDemoStack({ logger: silentLogger });
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(() => {
  stack.provider.resetCounts();
});

const signedIn = (user = 'alice') => BffClient.signedIn(stack.baseUrl, user);

describe('refresh before proxying', () => {
  it('refreshes an expiring access token, keeps the rotated refresh token, and calls the API with the new one', async () => {
    const tab = await signedIn();
    const before = await expireAccessToken(stack.bff, tab);
    const response = await tab.fetch('/api/todos');
    expect(response.status).toBe(200);
    const after = (await authOf(stack.bff, tab))!;
    expect(stack.provider.grantCounts()['refresh_token']).toBe(1);
    expect(after.tokens.accessToken).not.toBe(before.tokens.accessToken);
    expect(after.tokens.refreshToken).toBeTruthy();
    expect(after.tokens.refreshToken).not.toBe(before.tokens.refreshToken);
    expect(after.tokens.expiresAt).toBeGreaterThan(Date.now() / 1000 + 60);
    expect(stack.api.requests.at(-1)!.authorization).toBe(`Bearer ${after.tokens.accessToken}`);
  });

  it('100 concurrent calls with an expired token cause exactly one refresh grant, and all succeed', async () => {
    const tab = await signedIn();
    await expireAccessToken(stack.bff, tab);
    const seen = stack.api.requests.length;
    const responses = await Promise.all(Array.from({ length: 100 }, () => tab.fetch('/api/todos')));
    expect(responses.map((r) => r.status)).toEqual(Array(100).fill(200));
    expect(stack.provider.grantCounts()['refresh_token']).toBe(1);
    const fresh = (await authOf(stack.bff, tab))!.tokens.accessToken;
    const forwarded = new Set(stack.api.requests.slice(seen).map((r) => r.authorization));
    expect([...forwarded]).toEqual([`Bearer ${fresh}`]);
    // Rotation on: the stored refresh token still works (no reuse detection tripped).
    await expireAccessToken(stack.bff, tab);
    expect((await tab.fetch('/api/todos')).status).toBe(200);
    expect(stack.provider.grantCounts()['refresh_token']).toBe(2);
  });

  it('a revoked refresh token ends the session: 401 session_expired, the record is gone', async () => {
    const tab = await signedIn();
    const id = sessionIdOf(tab);
    const auth = await expireAccessToken(stack.bff, tab);
    const revoke = await fetch(`${stack.provider.issuer}/token/revocation`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${stack.client.id}:${stack.client.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: auth.tokens.refreshToken!, token_type_hint: 'refresh_token' }),
    });
    expect(revoke.status).toBe(200);
    const response = await tab.fetch('/api/todos');
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'session_expired' });
    expect(await authOf(stack.bff, id)).toBeUndefined();
    expect(tab.sessionCookie('portcullis')).toBeUndefined();
    expect((await tab.user()).status).toBe(401);
  });

  it('an unreachable provider during refresh answers 503 and keeps the session for a retry', async () => {
    const tab = await signedIn();
    await expireAccessToken(stack.bff, tab);
    await stack.provider.stop();
    try {
      const response = await tab.fetch('/api/todos');
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
      expect(await authOf(stack.bff, tab)).toBeDefined();
      expect((await tab.user()).status).toBe(200);
    } finally {
      await stack.provider.restart();
    }
    expect((await tab.fetch('/api/todos')).status).toBe(200);
  });

  it('without a refresh token the session ends with its access token: 401, no refresh attempted', async () => {
    const tab = await signedIn('bob');
    const id = tab.sessionCookie('portcullis')!.split('.')[0]!;
    const record = (await internalsOf(stack.bff).repository.get(id))!;
    const auth = record['auth'] as { tokens: { refreshToken?: string; expiresAt: number } };
    delete auth.tokens.refreshToken;
    auth.tokens.expiresAt = 0;
    await internalsOf(stack.bff).repository.set(id, record, 60_000);
    const response = await tab.fetch('/api/todos');
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'unauthenticated' });
    expect((await tab.user()).status).toBe(401);
    expect(stack.provider.grantCounts()['refresh_token']).toBeUndefined();
  });
});

describe('logout during a refresh', () => {
  it('a back-channel logout while a slow refresh runs ends the session for good, and the new refresh token is revoked', async () => {
    const tab = await signedIn();
    const id = sessionIdOf(tab);
    const { sid } = (await authOf(stack.bff, tab))!;
    await expireAccessToken(stack.bff, tab);
    const provider = internalsOf(stack.bff).provider;
    const original = provider.refresh.bind(provider);
    let issued: string | undefined;
    provider.refresh = async (...args) => {
      const fresh = await original(...args);
      issued = fresh.refreshToken;
      await new Promise((r) => setTimeout(r, 500)); // the provider answered; the BFF has not stored it yet
      return fresh;
    };
    try {
      const call = tab.fetch('/api/todos');
      await new Promise((r) => setTimeout(r, 150));
      const logoutToken = await stack.provider.signJwt({
        aud: stack.client.id,
        jti: crypto.randomUUID(),
        sid,
        exp: Math.floor(Date.now() / 1000) + 120,
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
      });
      const bcl = await fetch(`${stack.baseUrl}/bff/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: logoutToken }),
      });
      expect(bcl.status).toBe(200);
      const response = await call;
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'session_expired' });
    } finally {
      provider.refresh = original;
    }
    expect(await authOf(stack.bff, id)).toBeUndefined();
    expect((await tab.user()).status).toBe(401);
    expect(issued).toBeTruthy();
    const grant = await fetch(`${stack.provider.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${stack.client.id}:${stack.client.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: issued! }),
    });
    expect(await grant.json()).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('short-lived access tokens', () => {
  let short: DemoStack;
  beforeAll(async () => {
    short = await startDemoStack({ logger: silentLogger, accessTokenTtl: 30 });
  });
  afterAll(async () => {
    await short?.stop();
  });

  it('a token living less than twice the skew is not refreshed on every call (skew capped at half its life)', async () => {
    const tab = await BffClient.signedIn(short.baseUrl);
    short.provider.resetCounts();
    for (let i = 0; i < 5; i++) expect((await tab.fetch('/api/todos')).status).toBe(200);
    expect(short.provider.grantCounts()['refresh_token']).toBeUndefined();
  });
});

import Koa from 'koa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { isClientToken, requireAccessToken, requireScope, type AuthState } from '../src/index.ts';
import { startApi, type TestApi } from './helpers/api.ts';
import { AUDIENCE, startAuthorizationServer, type FakeAuthorizationServer } from './helpers/authorization-server.ts';

let as: FakeAuthorizationServer;
let api: TestApi | undefined;

beforeEach(async () => {
  as = await startAuthorizationServer();
});
afterEach(async () => {
  await api?.close();
  api = undefined;
  await as.close();
});

describe('requireScope', () => {
  it('validates its scopes at creation', () => {
    expect(() => requireScope('orders read')).toThrow(/option "requireScope\(\.\.\.scopes\)\[0\]" must contain scope names without spaces/);
    expect(() => (requireScope as (...s: string[]) => unknown)()).toThrow('api-guard: requireScope(...scopes) needs at least one scope name');
  });

  it('passes when every scope is granted, else 403 insufficient_scope with the realm of the guard', async () => {
    api = await startApi(requireAccessToken({ issuer: as.issuer, audience: AUDIENCE, realm: 'orders' }), requireScope('orders:read', 'orders:write'));
    const both = await api.request('/', { headers: { authorization: `Bearer ${await as.sign({ scope: 'orders:write orders:read' })}` } });
    expect(both.status).toBe(200);

    const one = await api.request('/', { headers: { authorization: `Bearer ${await as.sign({ scope: 'orders:read' })}` } });
    expect(one.status).toBe(403);
    expect(one.headers['cache-control']).toBe('no-store');
    expect(one.headers['www-authenticate']).toBe('Bearer realm="orders", error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders:read orders:write"');
    expect(one.json).toEqual({ error: 'insufficient_scope', error_description: 'the access token lacks a required scope' });
  });

  it('fails loudly (500) when used without requireAccessToken', async () => {
    api = await startApi(async (ctx, next) => {
      ctx.state.auth = { kind: 'user', sub: 'forged', clientId: 'x', scopes: ['admin'], claims: {}, source: 'jwt' };
      await next();
    }, requireScope('admin'));
    const res = await api.request('/');
    expect(res.status).toBe(500);
  });

  it('types ctx.state.auth for the following middleware', () => {
    const app = new Koa().use(requireAccessToken({ issuer: 'https://id.example.com', audience: 'api' }));
    app.use(requireScope('a')).use((ctx) => {
      const auth: AuthState['auth'] = ctx.state.auth;
      ctx.body = isClientToken(auth) ? 'machine' : auth.sub;
    });
    expect(app.middleware).toHaveLength(3);
  });
});

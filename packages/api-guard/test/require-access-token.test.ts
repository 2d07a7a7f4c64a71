import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { requireAccessToken } from '../src/index.ts';
import type { RequireAccessTokenOptions } from '../src/options.ts';
import { responseText, startApi, type ApiResponse, type TestApi } from './helpers/api.ts';
import { AUDIENCE, CLIENT_ID, startAuthorizationServer, unusedPort, type FakeAuthorizationServer } from './helpers/authorization-server.ts';

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

async function guarded(options: Partial<RequireAccessTokenOptions> = {}): Promise<TestApi> {
  api = await startApi(requireAccessToken({ issuer: as.issuer, audience: AUDIENCE, realm: 'orders', ...options }));
  return api;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function expectError(res: ApiResponse, status: number, error: string, challenge: string | RegExp | undefined): void {
  expect(res.status).toBe(status);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.json).toEqual({ error, error_description: expect.any(String) });
  if (challenge === undefined) expect(res.headers['www-authenticate']).toBeUndefined();
  else expect(res.headers['www-authenticate']).toMatch(challenge);
}

const invalidToken = (description: string) => `Bearer realm="orders", error="invalid_token", error_description="${description}"`;

describe('requireAccessToken', () => {
  it('throws on bad options at creation, naming the option', () => {
    expect(() => requireAccessToken({ issuer: 'id.example.com', audience: 'x' })).toThrow(
      'api-guard: option "issuer" must be an absolute https URL (http allowed for localhost), got "id.example.com"',
    );
  });

  it('lets a valid token through and puts the caller on ctx.state.auth', async () => {
    const res = await (await guarded()).request('/orders', { headers: bearer(await as.sign()) });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      ok: true,
      auth: { kind: 'user', sub: 'user-42', clientId: CLIENT_ID, scopes: ['orders:read'], source: 'jwt' },
    });
  });

  it('answers a request without token with a bare Bearer challenge (RFC 6750 §3.1)', async () => {
    const res = await (await guarded()).request('/orders');
    expectError(res, 401, 'invalid_token', /^Bearer realm="orders"$/);
  });

  it('treats another scheme (Basic) as no token', async () => {
    const res = await (await guarded()).request('/', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expectError(res, 401, 'invalid_token', /^Bearer realm="orders"$/);
  });

  it('ignores a token in the query string or in a form body', async () => {
    const token = await as.sign();
    const a = await guarded();
    const query = await a.request(`/orders?access_token=${token}`);
    expectError(query, 401, 'invalid_token', /^Bearer realm="orders"$/);
    const form = await a.request('/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${token}`,
    });
    expectError(form, 401, 'invalid_token', /^Bearer realm="orders"$/);
  });

  it.each([
    ['abc (opaque, no introspection)', 'Bearer abc', 401, 'invalid_token'],
    ['a.b.c', 'Bearer a.b.c', 401, 'invalid_token'],
    ['an empty bearer', 'Bearer ', 400, 'invalid_request'],
    ['two bearers in one header', 'Bearer abc, Bearer def', 400, 'invalid_request'],
  ])('rejects %s', async (_, authorization, status, error) => {
    const res = await (await guarded()).request('/', { headers: { authorization } });
    expectError(res, status, error, new RegExp(`^Bearer realm="orders", error="${error}", error_description="[^"]+"$`));
  });

  it('rejects two Authorization headers with invalid_request', async () => {
    const token = await as.sign();
    const res = await (await guarded()).request('/', { headers: { authorization: [`Bearer ${token}`, `Bearer ${token}`] } });
    expectError(res, 400, 'invalid_request', /error="invalid_request", error_description="the request must carry exactly one Authorization header"/);
  });

  it.each([
    ['expired', { exp: Math.floor(Date.now() / 1000) - 60 }, 'the access token expired'],
    ['for another audience', { aud: 'https://other.example' }, 'the access token is not intended for this resource server'],
    ['from another issuer', { iss: 'https://evil.example' }, 'the access token was issued by another issuer'],
  ])('rejects a token %s with invalid_token', async (_, claims, description) => {
    const res = await (await guarded()).request('/', { headers: bearer(await as.sign(claims)) });
    expectError(res, 401, 'invalid_token', invalidToken(description));
    expect(res.json).toEqual({ error: 'invalid_token', error_description: description });
  });

  it('rejects a badly signed token', async () => {
    const token = await as.sign();
    const [h, p, s] = token.split('.') as [string, string, string];
    const tampered = `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`;
    const res = await (await guarded()).request('/', { headers: bearer(tampered) });
    expectError(res, 401, 'invalid_token', invalidToken('the access token signature is invalid'));
  });

  it('answers 403 insufficient_scope naming the required scopes', async () => {
    const a = await guarded({ scopes: ['orders:read', 'orders:write'] });
    const res = await a.request('/', { headers: bearer(await as.sign({ scope: 'orders:read' })) });
    expectError(res, 403, 'insufficient_scope', 'Bearer realm="orders", error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders:read orders:write"');
    const ok = await a.request('/', { headers: bearer(await as.sign({ scope: 'orders:write orders:read admin' })) });
    expect(ok.status).toBe(200);
    const none = await a.request('/', { headers: bearer(await as.sign({}, { omit: ['scope'] })) });
    expect(none.status).toBe(403);
  });

  it('never echoes the token in the body or headers', async () => {
    const a = await guarded({ scopes: ['admin'] });
    const good = await as.sign();
    const expired = await as.sign({ exp: Math.floor(Date.now() / 1000) - 60 });
    const wrongAudience = await as.sign({ aud: 'https://other.example' });
    for (const token of [good, expired, wrongAudience, 'abc', 'a.b.c']) {
      const res = await a.request('/', { headers: bearer(token) });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(responseText(res)).not.toContain(token);
      // Nor any part of a JWT (header, payload, signature).
      for (const part of token.split('.').filter((p) => p.length > 8)) expect(responseText(res)).not.toContain(part);
    }
  });

  it('answers 503 temporarily_unavailable (not 401) when discovery is unreachable, and reports it', async () => {
    const port = await unusedPort();
    api = await startApi(requireAccessToken({ issuer: `http://127.0.0.1:${port}`, audience: AUDIENCE }));
    const token = await as.sign();
    const res = await api.request('/', { headers: bearer(token) });
    expectError(res, 503, 'temporarily_unavailable', undefined);
    expect(res.json).toEqual({ error: 'temporarily_unavailable', error_description: 'the authorization server is unavailable' });
    expect(api.errors).toHaveLength(1);
    expect((api.errors[0] as Error).message).toMatch(/could not fetch the metadata of issuer http:\/\/127\.0\.0\.1/);
    expect((api.errors[0] as Error).message).not.toContain(token);
  });

  it('answers 503 when the JWKS is unreachable, and recovers', async () => {
    const a = await guarded();
    as.jwksStatus = 500;
    const token = await as.sign();
    expectError(await a.request('/', { headers: bearer(token) }), 503, 'temporarily_unavailable', undefined);
    as.jwksStatus = 200;
    expect((await a.request('/', { headers: bearer(token) })).status).toBe(200);
  });

  it('does not call the authorization server for requests without a usable token', async () => {
    const a = await guarded();
    await a.request('/');
    await a.request('/', { headers: { authorization: 'Bearer abc' } });
    await a.request('/', { headers: bearer('e30.e30.') });
    expect(as.counts).toMatchObject({ discovery: 0, jwks: 0, introspection: 0 });
  });

  describe('with introspection', () => {
    beforeEach(() => {
      as.introspect = (token) =>
        token === 'opaque-ok' ? { active: true, iss: as.issuer, aud: AUDIENCE, client_id: 'worker', scope: 'orders:read', exp: Math.floor(Date.now() / 1000) + 60 } : { active: false };
    });

    it('sends tokens that are not JWTs to introspection', async () => {
      const a = await guarded({ introspection: { clientId: 'orders-api', clientSecret: 'secret' } });
      const ok = await a.request('/', { headers: bearer('opaque-ok') });
      expect(ok.status).toBe(200);
      expect(ok.json).toMatchObject({ auth: { kind: 'client', clientId: 'worker', source: 'introspection' } });

      const inactive = await a.request('/', { headers: bearer('opaque-revoked') });
      expectError(inactive, 401, 'invalid_token', invalidToken('the access token is not active'));
      expect(responseText(inactive)).not.toContain('opaque-revoked');
      expect(as.counts.introspection).toBe(2);
    });

    it('still verifies JWTs locally', async () => {
      const a = await guarded({ introspection: { clientId: 'orders-api', clientSecret: 'secret' } });
      expect((await a.request('/', { headers: bearer(await as.sign()) })).status).toBe(200);
      expect(as.counts.introspection).toBe(0);
    });
  });
});

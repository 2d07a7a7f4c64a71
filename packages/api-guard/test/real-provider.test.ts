// requireAccessToken against the real oidc-provider (in process, see
// helpers/oidc-provider.ts), with client_credentials JWT access tokens (RFC 9068).
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { requireAccessToken, requireScope } from '../src/index.ts';
import { startApi, type TestApi } from './helpers/api.ts';
import { startTestProvider, type TestProvider } from './helpers/oidc-provider.ts';
import { createDpopKey, createProof } from './helpers/dpop.ts';

const API_AUDIENCE = 'http://orders-api.portcullis.test';
const WORKER = { id: 'orders-worker', secret: 'worker-secret' };

let op: TestProvider;
let tokenEndpoint: string;
const apis: TestApi[] = [];

beforeAll(async () => {
  op = await startTestProvider({
    audience: API_AUDIENCE,
    scopes: ['orders:read', 'orders:write'],
    clients: [{ clientId: WORKER.id, clientSecret: WORKER.secret }],
  });
  const metadata = (await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
  tokenEndpoint = metadata.token_endpoint;
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(apis.splice(0).map((api) => api.close()));
});
afterAll(async () => {
  await op.stop();
});

/** client_credentials with resource = the API, client_secret_basic (and a DPoP proof when given). */
async function clientCredentialsToken(scope = 'orders:read', dpop?: string): Promise<string> {
  const res = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(WORKER.id)}:${encodeURIComponent(WORKER.secret)}`).toString('base64')}`,
      ...(dpop === undefined ? {} : { dpop }),
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: API_AUDIENCE, scope }),
  });
  const body = (await res.json()) as { access_token?: string; error?: string };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body.access_token!;
}

async function api(...middleware: Parameters<typeof startApi>): Promise<TestApi> {
  const started = await startApi(...middleware);
  apis.push(started);
  return started;
}

describe('requireAccessToken with oidc-provider', () => {
  it('issues client_credentials JWTs with typ at+jwt and sub = client_id', async () => {
    const token = await clientCredentialsToken();
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    expect(decodeJwt(token)).toMatchObject({ iss: op.issuer, aud: API_AUDIENCE, client_id: WORKER.id, sub: WORKER.id, scope: 'orders:read' });
  });

  it('accepts the token as a client token', async () => {
    const guarded = await api(requireAccessToken({ issuer: op.issuer, audience: API_AUDIENCE }));
    const res = await guarded.request('/', { headers: { authorization: `Bearer ${await clientCredentialsToken()}` } });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({
      auth: { kind: 'client', sub: WORKER.id, clientId: WORKER.id, scopes: ['orders:read'], source: 'jwt' },
    });
  });

  it('rejects it at a guard for another audience', async () => {
    const guarded = await api(requireAccessToken({ issuer: op.issuer, audience: 'http://billing-api.portcullis.test' }));
    const res = await guarded.request('/', { headers: { authorization: `Bearer ${await clientCredentialsToken()}` } });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token", error_description="the access token is not intended for this resource server"');
  });

  it('answers 403 when a route needs a scope the token lacks', async () => {
    const guarded = await api(requireAccessToken({ issuer: op.issuer, audience: API_AUDIENCE }), requireScope('orders:write'));
    const res = await guarded.request('/', { headers: { authorization: `Bearer ${await clientCredentialsToken('orders:read')}` } });
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toMatch(/error="insufficient_scope".*scope="orders:write"$/);
    const ok = await guarded.request('/', { headers: { authorization: `Bearer ${await clientCredentialsToken('orders:read orders:write')}` } });
    expect(ok.status).toBe(200);
  });

  it('verifies tokens signed with a rotated key', async () => {
    // Only Date is faked: it lets jose's 30 s JWKS refetch cooldown pass at once
    // (provider and guard share the clock, so iat/exp stay consistent).
    vi.useFakeTimers({ toFake: ['Date'] });
    const guarded = await api(requireAccessToken({ issuer: op.issuer, audience: API_AUDIENCE }));
    const before = await clientCredentialsToken();
    expect((await guarded.request('/', { headers: { authorization: `Bearer ${before}` } })).status).toBe(200);

    const oldKid = op.currentKid();
    await op.rotateKeys();
    vi.setSystemTime(Date.now() + 31_000);
    const after = await clientCredentialsToken();
    expect(decodeProtectedHeader(after).kid).not.toBe(oldKid);
    const res = await guarded.request('/', { headers: { authorization: `Bearer ${after}` } });
    expect(res.status, res.text).toBe(200);
    // The provider keeps publishing the old key, so older tokens stay valid until they expire.
    expect((await guarded.request('/', { headers: { authorization: `Bearer ${before}` } })).status).toBe(200);
  });

  it('accepts a DPoP-bound token issued by oidc-provider with a proof for the API call', async () => {
    const key = await createDpopKey();
    const token = await clientCredentialsToken('orders:read', await createProof(key, { htm: 'POST', htu: tokenEndpoint }));
    expect(decodeJwt(token)).toMatchObject({ cnf: { jkt: key.jkt } });
    const guarded = await api(requireAccessToken({ issuer: op.issuer, audience: API_AUDIENCE, dpop: true }));
    const proof = await createProof(key, { htm: 'GET', htu: `${guarded.url}/orders`, token });
    const res = await guarded.request('/orders', { headers: { authorization: `DPoP ${token}`, dpop: proof } });
    expect(res.status, res.text).toBe(200);
    const asBearer = await guarded.request('/orders', { headers: { authorization: `Bearer ${token}` } });
    expect(asBearer.status).toBe(401);
  });
});

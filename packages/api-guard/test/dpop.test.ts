// requireAccessToken with DPoP (RFC 9449): jose-minted proofs and tokens.
import { createSecretKey } from 'node:crypto';

import { exportJWK, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { requireAccessToken, requireScope } from '../src/index.ts';
import type { DpopOptions } from '../src/index.ts';
import { startApi, type ApiResponse, type TestApi } from './helpers/api.ts';
import { AUDIENCE, startAuthorizationServer, type FakeAuthorizationServer } from './helpers/authorization-server.ts';
import { ath, createDpopKey, createProof, unsignedProof, type DpopKey } from './helpers/dpop.ts';

const ALGS = 'ES256 EdDSA Ed25519 PS256 RS256';
let as: FakeAuthorizationServer;
let api: TestApi | undefined;
let key: DpopKey;

beforeEach(async () => {
  as = await startAuthorizationServer();
  key = await createDpopKey();
});
afterEach(async () => {
  await api?.close();
  api = undefined;
  await as.close();
});

async function guarded(dpop: boolean | DpopOptions = true, ...more: Parameters<typeof startApi>): Promise<TestApi> {
  api = await startApi(requireAccessToken({ issuer: as.issuer, audience: AUDIENCE, dpop }), ...more);
  return api;
}

/** A DPoP request for `path`: a token bound to `key` and a proof made with `proof` overrides. */
async function call(
  a: TestApi,
  { path = '/orders', method = 'GET', token, proof }: { path?: string; method?: string; token?: string; proof?: Partial<Parameters<typeof createProof>[1]> & { key?: DpopKey } } = {},
): Promise<ApiResponse> {
  const accessToken = token ?? (await as.sign({ cnf: { jkt: key.jkt } }));
  const { key: proofKey = key, ...input } = proof ?? {};
  const dpop = await createProof(proofKey, { htm: method, htu: `${a.url}${path}`, token: accessToken, ...input });
  return a.request(path, { method, headers: { authorization: `DPoP ${accessToken}`, dpop } });
}

function expectDpopError(res: ApiResponse, error: string, description: string | RegExp): void {
  expect(res.status).toBe(401);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.json).toEqual({ error, error_description: typeof description === 'string' ? description : expect.stringMatching(description) });
  const challenge = res.headers['www-authenticate'] as string;
  expect(challenge).toMatch(new RegExp(`^Bearer, DPoP error="${error}", error_description="[^"]+", algs="${ALGS}"$`));
}

describe('requireAccessToken with dpop', () => {
  it('accepts a DPoP-bound token with a valid proof', async () => {
    const res = await call(await guarded());
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ auth: { sub: 'user-42', claims: { cnf: { jkt: key.jkt } } } });
    expect(res.headers['dpop-nonce']).toBeUndefined();
  });

  it('accepts an htu with a query or fragment (ignored) and any key type in algorithms', async () => {
    const a = await guarded();
    expect((await call(a, { path: '/orders?page=2', proof: { htu: `${a.url}/orders#top` } })).status).toBe(200);
    key = await createDpopKey('Ed25519');
    expect((await call(a)).status).toBe(200);
  });

  it('refuses a proof signed by another key than the token is bound to', async () => {
    const other = await createDpopKey();
    const res = await call(await guarded(), { proof: { key: other } });
    expectDpopError(res, 'invalid_token', 'the access token is not bound to the DPoP proof key');
  });

  it('refuses a proof whose signature does not match its embedded key', async () => {
    const other = await createDpopKey();
    const res = await call(await guarded(), { proof: { signWith: other.privateKey } });
    expectDpopError(res, 'invalid_dpop_proof', 'the DPoP proof signature is invalid');
  });

  it('refuses a wrong htm or htu', async () => {
    const a = await guarded();
    expectDpopError(await call(a, { proof: { htm: 'POST' } }), 'invalid_dpop_proof', 'the DPoP proof htm does not match the request method');
    expectDpopError(await call(a, { proof: { htu: `${a.url}/other` } }), 'invalid_dpop_proof', 'the DPoP proof htu does not match the request URL');
    expectDpopError(await call(a, { proof: { htu: 'https://evil.example/orders' } }), 'invalid_dpop_proof', /htu does not match/);
  });

  it('refuses an old proof and one from the future', async () => {
    const a = await guarded({ maxAge: 30 });
    const now = Math.floor(Date.now() / 1000);
    expectDpopError(await call(a, { proof: { claims: { iat: now - 40 } } }), 'invalid_dpop_proof', 'the DPoP proof is too old');
    expectDpopError(await call(a, { proof: { claims: { iat: now + 60 } } }), 'invalid_dpop_proof', 'the DPoP proof iat is in the future');
    expect((await call(a, { proof: { claims: { iat: now - 25 } } })).status).toBe(200);
  });

  it('refuses a replayed proof (same jti)', async () => {
    const a = await guarded();
    const token = await as.sign({ cnf: { jkt: key.jkt } });
    const dpop = await createProof(key, { htm: 'GET', htu: `${a.url}/orders`, token });
    const headers = { authorization: `DPoP ${token}`, dpop };
    expect((await a.request('/orders', { headers })).status).toBe(200);
    expectDpopError(await a.request('/orders', { headers }), 'invalid_dpop_proof', 'the DPoP proof was already used');
  });

  it('refuses a missing or wrong ath', async () => {
    const a = await guarded();
    expectDpopError(await call(a, { proof: { claims: { ath: undefined } } }), 'invalid_dpop_proof', 'the DPoP proof has no ath claim');
    expectDpopError(await call(a, { proof: { claims: { ath: ath('another-token') } } }), 'invalid_dpop_proof', 'the DPoP proof ath does not match the access token');
  });

  it('refuses a DPoP-bound token presented as Bearer (RFC 9449 §7.1)', async () => {
    const res = await (await guarded()).request('/', { headers: { authorization: `Bearer ${await as.sign({ cnf: { jkt: key.jkt } })}` } });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(`Bearer error="invalid_token", error_description="a sender-constrained access token cannot be used as a bearer token", DPoP algs="${ALGS}"`);
  });

  it('refuses a token without cnf presented with the DPoP scheme', async () => {
    const res = await call(await guarded(), { token: await as.sign() });
    expectDpopError(res, 'invalid_token', 'the access token is not DPoP-bound: present it with the Bearer scheme');
  });

  it('refuses alg none, HS256 and an embedded private key', async () => {
    const a = await guarded();
    const token = await as.sign({ cnf: { jkt: key.jkt } });
    const send = (dpop: string) => a.request('/orders', { headers: { authorization: `DPoP ${token}`, dpop } });
    const claims = { htm: 'GET', htu: `${a.url}/orders`, ath: ath(token) };

    expectDpopError(await send(unsignedProof(key, claims)), 'invalid_dpop_proof', 'the DPoP proof must be signed (alg none is refused)');

    const secret = createSecretKey(Buffer.alloc(32, 7));
    const hs256 = await new SignJWT({ jti: 'x', iat: Math.floor(Date.now() / 1000), ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: await exportJWK(secret) }).sign(secret);
    expectDpopError(await send(hs256), 'invalid_dpop_proof', 'the DPoP proof signing algorithm is not allowed');

    const withPrivate = await createProof(key, { htm: 'GET', htu: `${a.url}/orders`, token, header: { jwk: key.privateJwk } });
    expectDpopError(await send(withPrivate), 'invalid_dpop_proof', 'the DPoP proof jwk must be a public key');
  });

  it('refuses a missing, doubled or mistyped proof', async () => {
    const a = await guarded();
    const token = await as.sign({ cnf: { jkt: key.jkt } });
    expectDpopError(await a.request('/orders', { headers: { authorization: `DPoP ${token}` } }), 'invalid_dpop_proof', 'a DPoP proof header is required with the DPoP scheme');
    const proof = () => createProof(key, { htm: 'GET', htu: `${a.url}/orders`, token });
    expectDpopError(
      await a.request('/orders', { headers: { authorization: `DPoP ${token}`, dpop: [await proof(), await proof()] } }),
      'invalid_dpop_proof',
      'the request must carry exactly one DPoP header',
    );
    expectDpopError(await call(a, { token, proof: { header: { typ: 'JWT' } } }), 'invalid_dpop_proof', 'the DPoP proof type (typ) must be dpop+jwt');
    expectDpopError(await call(a, { token, proof: { claims: { jti: undefined } } }), 'invalid_dpop_proof', 'the DPoP proof has no valid jti claim');
  });

  it('runs the nonce round trip (use_dpop_nonce, DPoP-Nonce)', async () => {
    const a = await guarded({ nonce: { secret: 's'.repeat(32) } });
    const first = await call(a);
    expect(first.status).toBe(401);
    expect(first.json).toEqual({ error: 'use_dpop_nonce', error_description: 'the DPoP proof must carry the nonce from the DPoP-Nonce header' });
    expect(first.headers['www-authenticate']).toMatch(/^Bearer, DPoP error="use_dpop_nonce", error_description="[^"]+", algs="/);
    const nonce = first.headers['dpop-nonce'] as string;
    expect(nonce).toMatch(/^[a-z0-9]+\.[A-Za-z0-9_-]{43}$/);

    const second = await call(a, { proof: { claims: { nonce } } });
    expect(second.status, second.text).toBe(200);
    expect(second.headers['dpop-nonce']).toBe(nonce);

    const forged = await call(a, { proof: { claims: { nonce: `${nonce.slice(0, -2)}AA` } } });
    expect(forged.json).toMatchObject({ error: 'use_dpop_nonce', error_description: expect.stringMatching(/invalid or expired/) });
    expect(forged.headers['dpop-nonce']).toBe(nonce);
  });

  it('with required: refuses Bearer and challenges with DPoP only', async () => {
    const a = await guarded({ required: true, algorithms: ['ES256'] });
    const bearer = await a.request('/', { headers: { authorization: `Bearer ${await as.sign()}` } });
    expect(bearer.status).toBe(401);
    expect(bearer.headers['www-authenticate']).toBe('DPoP error="invalid_token", error_description="this resource requires a DPoP-bound access token (Authorization: DPoP)", algs="ES256"');
    expect((await a.request('/')).headers['www-authenticate']).toBe('DPoP algs="ES256"');
    expect((await call(a)).status).toBe(200);
  });

  it('without dpop, the DPoP scheme is no token at all', async () => {
    api = await startApi(requireAccessToken({ issuer: as.issuer, audience: AUDIENCE }));
    const res = await call(api);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('answers requireScope failures with the DPoP scheme', async () => {
    const a = await guarded(true, requireScope('orders:write'));
    const res = await call(a);
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer, DPoP error="insufficient_scope", error_description="[^"]+", scope="orders:write", algs="/);
  });

  it('behind a proxy: htu is the public URL (publicUrl, or X-Forwarded-* with app.proxy)', async () => {
    const a = await guarded({ publicUrl: 'https://api.example.com/v1/' });
    const token = await as.sign({ cnf: { jkt: key.jkt } });
    const viaPublic = await createProof(key, { htm: 'GET', htu: 'https://api.example.com/v1/orders', token });
    expect((await a.request('/orders', { headers: { authorization: `DPoP ${token}`, dpop: viaPublic } })).status).toBe(200);
    expect((await call(a)).status).toBe(401); // the internal URL is not what clients call

    const b = await startApi(requireAccessToken({ issuer: as.issuer, audience: AUDIENCE, dpop: true }));
    try {
      const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' };
      const proof = () => createProof(key, { htm: 'GET', htu: 'https://api.example.com/orders', token });
      // Without app.proxy the forwarded headers are not trusted.
      expect((await b.request('/orders', { headers: { authorization: `DPoP ${token}`, dpop: await proof(), ...forwarded } })).status).toBe(401);
      b.app.proxy = true;
      expect((await b.request('/orders', { headers: { authorization: `DPoP ${token}`, dpop: await proof(), ...forwarded } })).status).toBe(200);
    } finally {
      await b.close();
    }
  });

  it('accepts an introspected DPoP token (token_type DPoP, cnf.jkt)', async () => {
    as.introspect = () => ({ active: true, iss: as.issuer, aud: AUDIENCE, client_id: 'spa', sub: 'alice', token_type: 'DPoP', cnf: { jkt: key.jkt } });
    api = await startApi(requireAccessToken({ issuer: as.issuer, audience: AUDIENCE, dpop: true, introspection: { clientId: 'api', clientSecret: 'x' } }));
    expect((await call(api, { token: 'opaque-dpop-token' })).status).toBe(200);
    const asBearer = await api.request('/', { headers: { authorization: 'Bearer opaque-dpop-token' } });
    expect(asBearer.json).toMatchObject({ error_description: 'a sender-constrained access token cannot be used as a bearer token' });
  });
});

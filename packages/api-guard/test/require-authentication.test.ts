// requireAuthentication (RFC 9470 step-up) with jose-minted tokens.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ApiGuardOptionsError, requireAccessToken, requireAuthentication } from '../src/index.ts';
import { startApi, type ApiResponse, type TestApi } from './helpers/api.ts';
import { AUDIENCE, startAuthorizationServer, type FakeAuthorizationServer } from './helpers/authorization-server.ts';
import { createDpopKey, createProof } from './helpers/dpop.ts';

const MFA = 'urn:portcullis:mfa';
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

const now = () => Math.floor(Date.now() / 1000);

async function guarded(options: Parameters<typeof requireAuthentication>[0], realm?: string): Promise<TestApi> {
  api = await startApi(requireAccessToken({ issuer: as.issuer, audience: AUDIENCE, ...(realm ? { realm } : {}) }), requireAuthentication(options));
  return api;
}

async function get(claims: Record<string, unknown>): Promise<ApiResponse> {
  return api!.request('/', { headers: { authorization: `Bearer ${await as.sign(claims)}` } });
}

function expectStepUp(res: ApiResponse, description: string, challenge: string): void {
  expect(res.status).toBe(401);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.json).toEqual({ error: 'insufficient_user_authentication', error_description: description });
  expect(res.headers['www-authenticate']).toBe(challenge);
}

describe('requireAuthentication', () => {
  it('lets a token with an acceptable acr through', async () => {
    await guarded({ acr: ['urn:other', MFA] });
    expect((await get({ acr: MFA, auth_time: now() })).status).toBe(200);
  });

  it('answers 401 insufficient_user_authentication with acr_values for a weaker acr (RFC 9470 §3)', async () => {
    await guarded({ acr: [MFA, 'urn:portcullis:hwk'] });
    expectStepUp(
      await get({ acr: 'urn:portcullis:pwd' }),
      'a stronger user authentication is required',
      'Bearer error="insufficient_user_authentication", error_description="a stronger user authentication is required", acr_values="urn:portcullis:mfa urn:portcullis:hwk"',
    );
    expectStepUp(
      await get({}),
      'the access token does not say how the user authenticated (no acr claim)',
      'Bearer error="insufficient_user_authentication", error_description="the access token does not say how the user authenticated (no acr claim)", acr_values="urn:portcullis:mfa urn:portcullis:hwk"',
    );
  });

  it('answers with max_age for an old or missing auth_time', async () => {
    await guarded({ maxAge: 300 }, 'todos');
    expect((await get({ auth_time: now() - 290 })).status).toBe(200);
    expectStepUp(
      await get({ auth_time: now() - 400 }),
      'a more recent user authentication is required',
      'Bearer realm="todos", error="insufficient_user_authentication", error_description="a more recent user authentication is required", max_age="300"',
    );
    expectStepUp(
      await get({ auth_time: 'yesterday' }),
      'the access token does not say when the user authenticated (no auth_time claim)',
      'Bearer realm="todos", error="insufficient_user_authentication", error_description="the access token does not say when the user authenticated (no auth_time claim)", max_age="300"',
    );
  });

  it('sends both requirements when both are set, whichever failed', async () => {
    await guarded({ acr: [MFA], maxAge: 60 });
    expect((await get({ acr: MFA, auth_time: now() })).status).toBe(200);
    const old = await get({ acr: MFA, auth_time: now() - 120 });
    expect(old.headers['www-authenticate']).toMatch(/, acr_values="urn:portcullis:mfa", max_age="60"$/);
    const weak = await get({ acr: 'urn:portcullis:pwd', auth_time: now() });
    expect(weak.json).toMatchObject({ error_description: 'a stronger user authentication is required' });
  });

  it('refuses a client token (no user authentication)', async () => {
    await guarded({ acr: [MFA] });
    expect((await get({ sub: 'orders-app', client_id: 'orders-app' })).status).toBe(401);
  });

  it('uses the DPoP scheme for a DPoP request', async () => {
    api = await startApi(requireAccessToken({ issuer: as.issuer, audience: AUDIENCE, dpop: { algorithms: ['ES256'] } }), requireAuthentication({ acr: [MFA] }));
    const key = await createDpopKey();
    const token = await as.sign({ cnf: { jkt: key.jkt }, acr: 'urn:portcullis:pwd' });
    const dpop = await createProof(key, { htm: 'GET', htu: `${api.url}/`, token });
    const res = await api.request('/', { headers: { authorization: `DPoP ${token}`, dpop } });
    expect(res.headers['www-authenticate']).toBe(
      'Bearer, DPoP error="insufficient_user_authentication", error_description="a stronger user authentication is required", acr_values="urn:portcullis:mfa", algs="ES256"',
    );
  });

  it('fails loudly (500) without requireAccessToken before it', async () => {
    api = await startApi(
      async (ctx, next) => {
        ctx.state.auth = { kind: 'user', sub: 'forged', clientId: 'x', scopes: [], claims: { acr: MFA }, source: 'jwt' };
        await next();
      },
      requireAuthentication({ acr: [MFA] }),
    );
    expect((await api.request('/')).status).toBe(500);
  });

  it.each([
    [{}, 'api-guard: requireAuthentication options needs acr, maxAge or both'],
    [{ acr: [] }, /option "acr" must be a non-empty array of acr values/],
    [{ acr: ['a b'] }, /option "acr\[0\]" must contain acr values without spaces, quotes or backslashes, got "a b"/],
    [{ maxAge: -1 }, /option "maxAge" must be an integer number of seconds from 0 to 31536000, got number -1/],
    [{ maxAge: 1.5 }, /option "maxAge"/],
    [{ acr: [MFA], max_age: 5 }, /unknown option "max_age" \(known options: acr, maxAge\)/],
  ])('validates its options at creation: %j', (options, message) => {
    expect(() => requireAuthentication(options as Parameters<typeof requireAuthentication>[0])).toThrow(message);
    expect(() => requireAuthentication(options as Parameters<typeof requireAuthentication>[0])).toThrow(ApiGuardOptionsError);
  });
});

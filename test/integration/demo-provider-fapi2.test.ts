// The demo provider in FAPI 2.0 mode (securityProfile: 'fapi2') and the todo
// API with DPoP required, driven by a hand-written client (helpers/fapi-client.ts):
// PAR + private_key_jwt + DPoP, the login pages like a browser, and what the
// provider and the API must refuse.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTodoApi, type TodoApi } from '../../demo/api/create-api.ts';
import { DEMO_JOB_KEY, demoJobClient, runJob } from '../../demo/job.ts';
import { startDemoProvider, type DemoProvider } from '../../demo/provider/create-provider.ts';
import { extraClientFromEnv } from '../../demo/provider/extra-client.ts';
import { formAction } from '../helpers/bff-client.ts';
import { CookieJar, browse } from '../helpers/cookie-jar.ts';
import { FapiClient, generateKey, type KeyPair } from '../helpers/fapi-client.ts';

const API_AUDIENCE = 'http://todo-api.portcullis.test';
const CLIENT_ID = 'fapi-bff';
const SCOPE = 'openid profile email todos:read todos:write';
const MFA = 'urn:portcullis:mfa';

let receiver: { url: string; logoutTokens: string[]; server: Server };
let op: DemoProvider;
let api: TodoApi;
let clientKey: KeyPair;
let client: FapiClient;
let callbackUrl: string;

async function startReceiver() {
  const logoutTokens: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token');
      if (req.method === 'POST' && token) logoutTokens.push(token);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  return { url: `http://localhost:${(server.address() as AddressInfo).port}`, logoutTokens, server };
}

/** PAR, then the login form as a browser; returns the callback URL and what the client kept. */
async function signIn(jar: CookieJar, params: Record<string, string> = {}, fapi = client) {
  const par = await fapi.par({ redirect_uri: callbackUrl, scope: SCOPE, ...params });
  expect(par.status, JSON.stringify(par.body)).toBe(201);
  const page = await browse(jar, par.authorizationUrl, { stopAt: (u) => u.href.startsWith(callbackUrl) });
  const html = await page.response.text();
  expect(html).toMatch(/name="password"/);
  const done = await browse(jar, formAction(html, page.url), {
    method: 'POST',
    body: new URLSearchParams({ login: 'alice', password: 'alice' }),
    stopAt: (u) => u.href.startsWith(callbackUrl),
  });
  return { par, done };
}

/** A whole sign-in and code exchange (DPoP + private_key_jwt). */
async function signInAndExchange(params: Record<string, string> = {}) {
  const { par, done } = await signIn(new CookieJar(), params);
  expect(done.stopped, `ended at ${done.url}`).toBe(true);
  const code = new URL(done.url).searchParams.get('code')!;
  const tokens = await client.token({ grant_type: 'authorization_code', code, redirect_uri: callbackUrl, code_verifier: par.verifier });
  expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
  return tokens.body as Record<string, string>;
}

/** The code of a finished sign-in, not yet exchanged. */
async function codeFor() {
  const { par, done } = await signIn(new CookieJar());
  return { code: new URL(done.url).searchParams.get('code')!, verifier: par.verifier };
}

beforeAll(async () => {
  receiver = await startReceiver();
  callbackUrl = `${receiver.url}/callback`;
  clientKey = await generateKey('ES256');
  op = await startDemoProvider({
    apiAudience: API_AUDIENCE,
    securityProfile: 'fapi2',
    env: {},
    clients: [
      {
        clientId: CLIENT_ID,
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: { keys: [clientKey.publicJwk] },
        grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
        redirectUris: [callbackUrl],
        postLogoutRedirectUris: [`${receiver.url}/logged-out`],
        backchannelLogoutUri: `${receiver.url}/backchannel-logout`,
      },
      demoJobClient('fapi2'),
    ],
  });
  api = await startTodoApi({ issuer: op.issuer, audience: API_AUDIENCE, requireScopes: true, dpop: { required: true } });
  client = await FapiClient.create(op.issuer, CLIENT_ID, clientKey);
});

afterAll(async () => {
  await Promise.all([api?.stop(), op?.stop(), new Promise((resolve) => receiver?.server.close(resolve))]);
});

describe('demo provider in FAPI 2.0 mode', () => {
  it('publishes FAPI 2 metadata: PAR required, private_key_jwt only, DPoP, PKCE S256, RFC 9207 iss, PS256', () => {
    const m = client.metadata;
    expect(m.require_pushed_authorization_requests).toBe(true);
    expect(m.pushed_authorization_request_endpoint).toBe(`${op.issuer}/request`);
    expect(m['token_endpoint_auth_methods_supported']).toEqual(['private_key_jwt']);
    expect(m['token_endpoint_auth_signing_alg_values_supported']).toEqual(['PS256', 'ES256', 'EdDSA']);
    expect(m['dpop_signing_alg_values_supported']).toEqual(['PS256', 'ES256', 'EdDSA']);
    expect(m['code_challenge_methods_supported']).toEqual(['S256']);
    expect(m['authorization_response_iss_parameter_supported']).toBe(true);
    expect(m['response_types_supported']).toEqual(['code']);
    expect(m['id_token_signing_alg_values_supported']).toEqual(['PS256']);
  });

  it('signs in through PAR: the browser URL carries only client_id and request_uri; DPoP-bound tokens with cnf.jkt', async () => {
    const jar = new CookieJar();
    const { par, done } = await signIn(jar);
    expect(par.body['expires_in']).toBeLessThanOrEqual(60);
    expect([...par.authorizationUrl.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expect(par.authorizationUrl.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    const callback = new URL(done.url);
    expect(callback.searchParams.get('iss')).toBe(op.issuer);
    expect(callback.searchParams.get('state')).toBe(par.state);

    const { status, body } = await client.token({
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: callbackUrl,
      code_verifier: par.verifier,
    });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body['token_type']).toBe('DPoP');
    const access = body['access_token'] as string;
    expect(decodeProtectedHeader(access)).toMatchObject({ alg: 'PS256', typ: 'at+jwt' });
    expect(decodeJwt(access)).toMatchObject({ aud: API_AUDIENCE, sub: 'alice', client_id: CLIENT_ID, cnf: { jkt: client.dpopKey.thumbprint } });
    const jwks = createRemoteJWKSet(new URL(client.metadata.jwks_uri));
    const { payload, protectedHeader } = await jwtVerify(body['id_token'] as string, jwks, { issuer: op.issuer, audience: CLIENT_ID, algorithms: ['PS256'] });
    expect(protectedHeader.alg).toBe('PS256');
    expect(payload.nonce).toBe(par.nonce);
    expect(body['refresh_token']).toEqual(expect.any(String));
  });

  it('refreshes with DPoP and private_key_jwt; rotation revokes the grant on reuse', async () => {
    const tokens = await signInAndExchange();
    const withoutProof = await client.token({ grant_type: 'refresh_token', refresh_token: tokens['refresh_token']! }, { dpop: null });
    expect(withoutProof.body['error']).toBe('invalid_grant');

    const refreshed = await client.token({ grant_type: 'refresh_token', refresh_token: tokens['refresh_token']! });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(refreshed.body['token_type']).toBe('DPoP');
    expect(decodeJwt(refreshed.body['access_token'] as string).cnf).toEqual({ jkt: client.dpopKey.thumbprint });
    expect(refreshed.body['refresh_token']).not.toBe(tokens['refresh_token']);

    // A confidential client's refresh token is bound by its authentication, not to a DPoP key
    // (RFC 9449 §5: only public clients' are): a refresh with a new key binds the new access token to it.
    const other = await generateKey('ES256');
    const moved = await client.token({ grant_type: 'refresh_token', refresh_token: refreshed.body['refresh_token'] as string }, { dpop: other });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(decodeJwt(moved.body['access_token'] as string).cnf).toEqual({ jkt: other.thumbprint });

    const reused = await client.token({ grant_type: 'refresh_token', refresh_token: tokens['refresh_token']! });
    expect(reused.body['error']).toBe('invalid_grant');
    const newest = await client.token({ grant_type: 'refresh_token', refresh_token: moved.body['refresh_token'] as string });
    expect(newest.body['error']).toBe('invalid_grant');
  });

  it('refuses client assertions signed with an unregistered key, with RS256, with an aud other than the issuer, or used twice', async () => {
    const { code, verifier } = await codeFor();
    const params = { grant_type: 'authorization_code', code, redirect_uri: callbackUrl, code_verifier: verifier };
    const refused = async (auth: Record<string, string>) => {
      const result = await client.token(params, { auth });
      expect(result.status, JSON.stringify(result.body)).toBe(401);
      expect(result.body['error']).toBe('invalid_client');
    };
    await refused(await client.assertionFields({ key: await generateKey('ES256') }));
    const rsa = await generateKey('RS256');
    await refused(await client.assertionFields({ key: rsa, header: { kid: clientKey.publicJwk.kid } }));
    await refused(await client.assertionFields({ claims: { aud: client.metadata.token_endpoint } }));
    await refused(await client.assertionFields({ claims: { aud: [op.issuer] } }));
    const once = await client.assertionFields();
    const first = await client.post(`${op.issuer}/token/introspection`, { token: 'x' }, { auth: once, dpop: null });
    expect(first.status).toBe(200);
    await refused(once);
    // The code was never spent: the right client still gets its tokens.
    expect((await client.token(params)).status).toBe(200);
  });

  it('refuses client_secret authentication and a pushed request without client authentication', async () => {
    const { code, verifier } = await codeFor();
    const params = { grant_type: 'authorization_code', code, redirect_uri: callbackUrl, code_verifier: verifier };
    const basic = await client.token(params, { auth: null, headers: { authorization: `Basic ${Buffer.from(`${CLIENT_ID}:secret`).toString('base64')}` } });
    expect(basic.body['error']).toBe('invalid_client');
    const post = await client.token(params, { auth: { client_id: CLIENT_ID, client_secret: 'secret' } });
    expect(post.body['error']).toBe('invalid_client');
    const par = await client.par({ redirect_uri: callbackUrl, scope: SCOPE }, { auth: { client_id: CLIENT_ID } });
    expect(par.status).toBe(401);
    expect(par.body['error']).toBe('invalid_client');
  });

  it('refuses a plain authorization request (no PAR), even with PKCE', async () => {
    const url = new URL(client.metadata.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: CLIENT_ID,
      response_type: 'code',
      redirect_uri: callbackUrl,
      scope: SCOPE,
      state: 's',
      nonce: 'n',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }).toString();
    // The redirect URI is registered, so the error goes back to it (RFC 6749 §4.1.2.1), never a code.
    const page = await browse(new CookieJar(), url, { stopAt: (u) => u.href.startsWith(callbackUrl) });
    expect(page.stopped).toBe(true);
    const callback = new URL(page.url).searchParams;
    expect(callback.get('code')).toBeNull();
    expect(callback.get('error')).toBe('invalid_request');
    expect(callback.get('error_description')).toMatch(/Pushed Authorization Request must be used/i);
    expect(callback.get('iss')).toBe(op.issuer);
  });

  it('refuses a code exchange without a DPoP proof, or with a proof from another key than the pushed request', async () => {
    const { code, verifier } = await codeFor();
    const params = { grant_type: 'authorization_code', code, redirect_uri: callbackUrl, code_verifier: verifier };
    const none = await client.token(params, { dpop: null });
    expect(none.status).toBe(400);
    expect(none.body['error']).toBe('invalid_grant');
    const other = await client.token(params, { dpop: await generateKey('ES256') });
    expect(other.body).toMatchObject({ error: 'invalid_grant' });
    // oidc-provider spends the code before it compares the key: the real client cannot use it any more.
    expect((await client.token(params)).body['error']).toBe('invalid_grant');
  });

  it('asks for the one-time code when the pushed request wants the MFA acr; DELETE /todos then works with DPoP', async () => {
    const jar = new CookieJar();
    const par = await client.par({ redirect_uri: callbackUrl, scope: SCOPE, acr_values: MFA });
    const page = await browse(jar, par.authorizationUrl);
    const login = await browse(jar, formAction(await page.response.text(), page.url), { method: 'POST', body: new URLSearchParams({ login: 'alice', password: 'alice' }) });
    const html = await login.response.text();
    const shown = /data-code="(\d{6})"/.exec(html)?.[1];
    expect(shown).toMatch(/^\d{6}$/);
    const done = await browse(jar, formAction(html, login.url), { method: 'POST', body: new URLSearchParams({ code: shown! }), stopAt: (u) => u.href.startsWith(callbackUrl) });
    const code = new URL(done.url).searchParams.get('code')!;
    const tokens = await client.token({ grant_type: 'authorization_code', code, redirect_uri: callbackUrl, code_verifier: par.verifier });
    const access = tokens.body['access_token'] as string;
    expect(decodeJwt(access)).toMatchObject({ acr: MFA, cnf: { jkt: client.dpopKey.thumbprint } });
    const res = await client.callApi(`${api.url}/todos`, access, { method: 'DELETE' });
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it('ends the session on RP-initiated logout and sends a PS256 back-channel logout token', async () => {
    const jar = new CookieJar();
    const { par, done } = await signIn(jar);
    const tokens = await client.token({ grant_type: 'authorization_code', code: new URL(done.url).searchParams.get('code')!, redirect_uri: callbackUrl, code_verifier: par.verifier });
    receiver.logoutTokens.length = 0;
    const end = new URL(client.metadata.end_session_endpoint);
    end.search = new URLSearchParams({ client_id: CLIENT_ID, post_logout_redirect_uri: `${receiver.url}/logged-out` }).toString();
    const confirm = await browse(jar, end);
    const html = await confirm.response.text();
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1]!;
    const out = await browse(jar, formAction(html, confirm.url), { method: 'POST', body: new URLSearchParams({ xsrf, logout: 'yes' }), stopAt: (u) => u.origin === receiver.url });
    expect(out.url).toBe(`${receiver.url}/logged-out`);
    expect(receiver.logoutTokens).toHaveLength(1);
    const { protectedHeader, payload } = await jwtVerify(receiver.logoutTokens[0]!, createRemoteJWKSet(new URL(client.metadata.jwks_uri)), { issuer: op.issuer, audience: CLIENT_ID });
    expect(protectedHeader).toMatchObject({ alg: 'PS256', typ: 'logout+jwt' });
    expect(payload.sid).toBe(decodeJwt(tokens.body['id_token'] as string).sid);
    const refresh = await client.token({ grant_type: 'refresh_token', refresh_token: tokens.body['refresh_token'] as string });
    expect(refresh.body['error']).toBe('invalid_grant');
  });

  it('refuses to start with a client that has a secret instead of keys', async () => {
    await expect(
      startDemoProvider({ apiAudience: API_AUDIENCE, securityProfile: 'fapi2', env: {}, clients: [{ clientId: 'old', clientSecret: 'a-long-enough-secret', grantTypes: ['client_credentials'] }] }),
    ).rejects.toThrow(/client old: the FAPI 2.0 profile accepts only private_key_jwt/);
  });
});

describe('DEMO_EXTRA_CLIENT in FAPI 2.0 mode', () => {
  it('registers a client given "jwks" as a private_key_jwt client; refuses private keys and secret + jwks', async () => {
    const key = await generateKey('ES256');
    const extra = { client_id: 'extra', jwks: { keys: [key.publicJwk] }, grant_types: ['client_credentials'] };
    const extraOp = await startDemoProvider({ apiAudience: API_AUDIENCE, securityProfile: 'fapi2', env: { DEMO_EXTRA_CLIENT: JSON.stringify(extra) }, clients: [] });
    try {
      const extraClient = await FapiClient.create(extraOp.issuer, 'extra', key);
      const result = await extraClient.token({ grant_type: 'client_credentials', resource: API_AUDIENCE });
      expect(result.status, JSON.stringify(result.body)).toBe(200);
      expect(result.body['token_type']).toBe('DPoP');
    } finally {
      await extraOp.stop();
    }
    expect(() => extraClientFromEnv({ DEMO_EXTRA_CLIENT: JSON.stringify({ ...extra, jwks: { keys: [key.privateJwk] } }) })).toThrow(/public keys only/);
    expect(() => extraClientFromEnv({ DEMO_EXTRA_CLIENT: JSON.stringify({ ...extra, client_secret: 'x'.repeat(20) }) })).toThrow(/both "client_secret" and "jwks"/);
  });
});

describe('demo job in FAPI 2.0 mode', () => {
  it('gets a DPoP-bound client_credentials token with its derived key and calls /whoami with DPoP', async () => {
    const me = await runJob({ providerUrl: op.issuer, apiUrl: api.url, resource: API_AUDIENCE, clientId: 'demo-job', privateKey: DEMO_JOB_KEY.privateJwk });
    expect(me).toMatchObject({ kind: 'client', clientId: 'demo-job' });
    expect(JSON.stringify(DEMO_JOB_KEY.publicJwk)).not.toContain('"d"');
  });

  it('fails with a readable message when it tries its client secret', async () => {
    await expect(runJob({ providerUrl: op.issuer, apiUrl: api.url, resource: API_AUDIENCE, clientId: 'demo-job', clientSecret: 'demo-job-dev-secret-do-not-use-in-production' })).rejects.toThrow(
      /refused a token to client demo-job \(invalid_client.*run the job with DEMO_SECURITY_PROFILE=fapi2/,
    );
  });
});

describe('demo todo API with DPoP required', () => {
  let access: string;
  beforeAll(async () => {
    access = (await signInAndExchange())['access_token']!;
  });

  it('accepts the DPoP-bound token with a proof (GET and POST /todos)', async () => {
    const list = await client.callApi(`${api.url}/todos`, access);
    expect(list.status, await list.clone().text()).toBe(200);
    const added = await client.callApi(`${api.url}/todos`, access, { method: 'POST', body: JSON.stringify({ title: 'bound' }) });
    expect(added.status).toBe(201);
  });

  it('refuses the same token sent as Bearer (a stolen token replayed without its key): 401', async () => {
    const res = await client.callApi(`${api.url}/todos`, access, { scheme: 'Bearer' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^DPoP /);
  });

  it('refuses the token with a proof from another key: 401', async () => {
    const res = await client.callApi(`${api.url}/todos`, access, { key: await generateKey('ES256') });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });
});

describe('demo provider in FAPI 2.0 mode with DPoP nonces required', () => {
  let nonceOp: DemoProvider;
  let nonceClient: FapiClient;
  beforeAll(async () => {
    const key = await generateKey('ES256');
    nonceOp = await startDemoProvider({
      apiAudience: API_AUDIENCE,
      securityProfile: 'fapi2',
      requireDpopNonce: true,
      env: {},
      clients: [{ clientId: CLIENT_ID, tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [key.publicJwk] }, grantTypes: ['client_credentials'] }],
    });
    nonceClient = await FapiClient.create(nonceOp.issuer, CLIENT_ID, key);
  });
  afterAll(() => nonceOp?.stop());

  it('answers use_dpop_nonce with a DPoP-Nonce header; the retry needs a new client assertion', async () => {
    const params = { grant_type: 'client_credentials', resource: API_AUDIENCE };
    const auth = await nonceClient.assertionFields();
    const first = await nonceClient.token(params, { auth });
    expect(first.attempts).toBe(2); // use_dpop_nonce, then a retry with the same assertion
    expect(first.body['error']).toBe('invalid_client');
    const fresh = await nonceClient.token(params);
    expect(fresh.status, JSON.stringify(fresh.body)).toBe(200);
    expect(decodeJwt(fresh.body['access_token'] as string).cnf).toEqual({ jkt: nonceClient.dpopKey.thumbprint });
  });
});

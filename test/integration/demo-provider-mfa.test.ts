// The demo provider's step-up (acr urn:portcullis:mfa: password + a one-time
// code shown on the page) and the todo API's DELETE /todos that needs it
// (RFC 9470), driven over HTTP like a browser; plus DEMO_EXTRA_CLIENT.
import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTodoApi, type TodoApi } from '../../demo/api/create-api.ts';
import { startDemoProvider, type DemoProvider } from '../../demo/provider/create-provider.ts';
import { formAction } from '../helpers/bff-client.ts';
import { CookieJar, browse, type BrowseResult } from '../helpers/cookie-jar.ts';

const MFA = 'urn:portcullis:mfa';
const PWD = 'urn:portcullis:pwd';
const API_AUDIENCE = 'http://todo-api.portcullis.test';
const APP = { id: 'mfa-app', secret: 'mfa-app-secret' };
const WORKER = { id: 'mfa-worker', secret: 'worker-secret' };
const CALLBACK = 'http://localhost:1/callback'; // never reached: browse stops before it

let op: DemoProvider;
let api: TodoApi;
let metadata: Record<string, unknown> & { authorization_endpoint: string; token_endpoint: string; jwks_uri: string };

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function token(params: Record<string, string>, client = APP): Promise<Record<string, string>> {
  const res = await fetch(metadata.token_endpoint, { method: 'POST', headers: { authorization: basic(client.id, client.secret) }, body: new URLSearchParams(params) });
  const body = (await res.json()) as Record<string, string>;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

/** Starts an authorization request (code + PKCE) and returns the login page. */
async function authorize(jar: CookieJar, extra: Record<string, string> = {}) {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(metadata.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: APP.id,
    response_type: 'code',
    redirect_uri: CALLBACK,
    scope: 'openid profile todos:read todos:write',
    state: 's',
    nonce: 'n',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...extra,
  }).toString();
  const page = await browse(jar, url, { stopAt: (u) => u.href.startsWith(CALLBACK) });
  return { page, verifier };
}

const post = (jar: CookieJar, page: BrowseResult, html: string, fields: Record<string, string>) =>
  browse(jar, formAction(html, page.url), { method: 'POST', body: new URLSearchParams(fields), stopAt: (u) => u.href.startsWith(CALLBACK) });

/** The code shown on the (demo-only) code page. */
const shownCode = (html: string) => /data-code="(\d{6})"/.exec(html)?.[1];

async function exchange(done: BrowseResult, verifier: string) {
  expect(done.stopped, `ended at ${done.url}`).toBe(true);
  const code = new URL(done.url).searchParams.get('code')!;
  return token({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier });
}

/** Password, then (when asked) the code: the whole MFA sign-in. */
async function signInWithMfa(jar: CookieJar, extra: Record<string, string>) {
  const { page, verifier } = await authorize(jar, extra);
  const login = await post(jar, page, await page.response.text(), { login: 'alice', password: 'alice' });
  expect(login.response.status).toBe(200);
  const html = await login.response.text();
  expect(html).toContain('name="code"');
  expect(html).toMatch(/demo only: a real provider would send this code to your phone/i);
  expect(formAction(html, login.url)).toMatch(/\/interaction\/[^/]+\/mfa$/);
  return { login, html, verifier };
}

const deleteAll = (accessToken: string) => fetch(`${api.url}/todos`, { method: 'DELETE', headers: { authorization: `Bearer ${accessToken}` } });

beforeAll(async () => {
  op = await startDemoProvider({
    apiAudience: API_AUDIENCE,
    clients: [
      { clientId: APP.id, clientSecret: APP.secret, grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [CALLBACK] },
      { clientId: WORKER.id, clientSecret: WORKER.secret, grantTypes: ['client_credentials'] },
    ],
    env: {},
  });
  api = await startTodoApi({ issuer: op.issuer, audience: API_AUDIENCE, requireScopes: true });
  metadata = (await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json()) as typeof metadata;
});
afterAll(async () => {
  await Promise.all([api?.stop(), op?.stop()]);
});

describe('demo provider: MFA step-up', () => {
  it('lists acr_values_supported (and the claims parameter) in discovery', () => {
    expect(metadata['acr_values_supported']).toEqual([PWD, MFA]);
    expect(metadata['claims_parameter_supported']).toBe(true);
  });

  it('without acr_values: no code step, acr urn:portcullis:pwd in the ID and access tokens, DELETE /todos answers the RFC 9470 challenge', async () => {
    const jar = new CookieJar();
    const { page, verifier } = await authorize(jar);
    const done = await post(jar, page, await page.response.text(), { login: 'alice', password: 'alice' });
    const tokens = await exchange(done, verifier);
    const { payload: idToken } = await jwtVerify(tokens['id_token']!, createRemoteJWKSet(new URL(metadata.jwks_uri)), { issuer: op.issuer, audience: APP.id });
    expect(idToken).toMatchObject({ acr: PWD, auth_time: expect.any(Number) });
    expect(decodeJwt(tokens['access_token']!)).toMatchObject({ acr: PWD, auth_time: idToken['auth_time'] });

    const res = await deleteAll(tokens['access_token']!);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_user_authentication", error_description="a stronger user authentication is required", acr_values="urn:portcullis:mfa"',
    );
    expect(await res.json()).toEqual({ error: 'insufficient_user_authentication', error_description: 'a stronger user authentication is required' });
  });

  it('with acr_values=urn:portcullis:mfa: password, then the code shown on the page; tokens carry acr mfa and DELETE /todos works', async () => {
    const jar = new CookieJar();
    const { login, html, verifier } = await signInWithMfa(jar, { acr_values: MFA });
    const wrong = await post(jar, login, html, { code: shownCode(html) === '000000' ? '111111' : '000000' });
    expect(wrong.response.status).toBe(401);
    const again = await wrong.response.text();
    expect(again).toContain('Wrong code');
    expect(shownCode(again)).toBe(shownCode(html));

    const tokens = await exchange(await post(jar, wrong, again, { code: shownCode(html)! }), verifier);
    expect(decodeJwt(tokens['id_token']!)).toMatchObject({ acr: MFA, auth_time: expect.any(Number) });
    const access = decodeJwt(tokens['access_token']!);
    expect(access).toMatchObject({ acr: MFA, auth_time: expect.any(Number), sub: 'alice' });

    const res = await deleteAll(tokens['access_token']!);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({ deleted: 2 });
    const list = await fetch(`${api.url}/todos`, { headers: { authorization: `Bearer ${tokens['access_token']}` } });
    expect(await list.json()).toEqual({ todos: [] });

    // A refreshed access token keeps the authentication it came from.
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: tokens['refresh_token']! });
    expect(decodeJwt(refreshed['access_token']!)).toMatchObject({ acr: MFA, auth_time: access['auth_time'] });
  });

  it('asks for the code when the claims parameter requests the acr', async () => {
    const jar = new CookieJar();
    const claims = JSON.stringify({ id_token: { acr: { essential: true, values: [MFA] } } });
    const { login, html, verifier } = await signInWithMfa(jar, { claims });
    const tokens = await exchange(await post(jar, login, html, { code: shownCode(html)! }), verifier);
    expect(decodeJwt(tokens['id_token']!)).toMatchObject({ acr: MFA });
  });

  it('steps up a password session: the same browser asking for MFA signs in again with the code', async () => {
    const jar = new CookieJar();
    const first = await authorize(jar);
    await exchange(await post(jar, first.page, await first.page.response.text(), { login: 'alice', password: 'alice' }), first.verifier);
    // Without acr_values the session is reused (no form at all).
    const sso = await authorize(jar);
    expect(sso.page.stopped).toBe(true);

    const { login, html, verifier } = await signInWithMfa(jar, { acr_values: MFA });
    const tokens = await exchange(await post(jar, login, html, { code: shownCode(html)! }), verifier);
    expect(decodeJwt(tokens['access_token']!)).toMatchObject({ acr: MFA });
  });

  it('ends the sign-in after five wrong codes', async () => {
    const jar = new CookieJar();
    let { login: page, html } = await signInWithMfa(jar, { acr_values: MFA });
    const wrongCode = shownCode(html) === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      const res = await post(jar, page, html, { code: wrongCode });
      expect(res.response.status).toBe(401);
      page = res;
      html = await res.response.text();
    }
    expect(html).toContain('Too many wrong codes');
    expect(html).not.toContain('name="code"');
  });

  it('keeps DELETE /todos for user tokens: a client token gets 403', async () => {
    const { access_token: clientToken } = await token({ grant_type: 'client_credentials', scope: 'todos:write' }, WORKER);
    const res = await deleteAll(clientToken!);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'user_token_required' });
  });
});

describe('demo provider: DEMO_EXTRA_CLIENT', () => {
  const base = { apiAudience: API_AUDIENCE, clients: [{ clientId: WORKER.id, clientSecret: WORKER.secret, grantTypes: ['client_credentials' as const] }] };

  it('registers the client from the environment', async () => {
    const extra = { client_id: 'extra-app', client_secret: 'extra-secret-0123456789', redirect_uris: [CALLBACK], grant_types: ['authorization_code', 'client_credentials'] };
    const provider = await startDemoProvider({ ...base, env: { DEMO_EXTRA_CLIENT: JSON.stringify(extra) } });
    try {
      const meta = (await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
      const res = await fetch(meta.token_endpoint, {
        method: 'POST',
        headers: { authorization: basic(extra.client_id, extra.client_secret) },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      expect(res.status).toBe(200);
      expect(await provider.provider.Client.find('extra-app')).toMatchObject({ redirectUris: [CALLBACK] });
    } finally {
      await provider.stop();
    }
  });

  it.each([
    ['{not json', /^DEMO_EXTRA_CLIENT must be JSON/],
    ['[]', /^DEMO_EXTRA_CLIENT must be a JSON object/],
    [JSON.stringify({ client_id: 'x', redirect_uris: [CALLBACK] }), /^DEMO_EXTRA_CLIENT needs "client_secret"/],
    [JSON.stringify({ client_id: 'x', client_secret: 'long-enough-secret', redirect_uris: ['/relative'] }), /^DEMO_EXTRA_CLIENT "redirect_uris" contains "\/relative", which is not an absolute URL/],
    [JSON.stringify({ client_id: 'x', client_secret: 'long-enough-secret' }), /^DEMO_EXTRA_CLIENT needs "redirect_uris"/],
    [JSON.stringify({ client_id: 'x', client_secret: 'long-enough-secret', grant_types: ['password'] }), /^DEMO_EXTRA_CLIENT "grant_types" must be/],
    [JSON.stringify({ client_id: 'x', client_secret: 'long-enough-secret', redirect_uri: CALLBACK }), /^DEMO_EXTRA_CLIENT has unknown member "redirect_uri"/],
    [JSON.stringify({ client_id: WORKER.id, client_secret: 'long-enough-secret', grant_types: ['client_credentials'] }), /^DEMO_EXTRA_CLIENT has client_id "mfa-worker", which the demo already uses/],
  ])('refuses to start with DEMO_EXTRA_CLIENT=%s, naming it and the problem', async (value, message) => {
    await expect(startDemoProvider({ ...base, env: { DEMO_EXTRA_CLIENT: value } })).rejects.toThrow(message);
  });
});

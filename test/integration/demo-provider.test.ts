import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTodoApi, type TodoApi } from '../../demo/api/create-api.ts';
import { startDemoProvider, type DemoProvider } from '../../demo/provider/create-provider.ts';
import { CookieJar, browse } from '../helpers/cookie-jar.ts';

const API_AUDIENCE = 'http://todo-api.portcullis.test';
const BFF = { id: 'portcullis-bff', secret: 'bff-secret' };
const WORKER = { id: 'todo-worker', secret: 'worker-secret' };
const SCOPE = 'openid profile email todos:read todos:write';

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint: string;
  jwks_uri: string;
  [key: string]: unknown;
}

interface TokenResponse {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  error?: string;
  error_description?: string;
}

/** A tiny stand-in for the BFF: receives the callback and back-channel logout POSTs. */
interface Receiver {
  url: string;
  logoutTokens: string[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const logoutTokens: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/backchannel-logout') {
        const token = new URLSearchParams(body).get('logout_token');
        if (token) logoutTokens.push(token);
        res.writeHead(200).end();
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('receiver');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    logoutTokens,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

const formAction = (html: string) => /<form[^>]*action="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');

let op: DemoProvider;
let api: TodoApi;
let receiver: Receiver;
let discovery: Discovery;
let callbackUrl: string;

async function token(params: Record<string, string>, client = BFF): Promise<{ status: number; body: TokenResponse }> {
  const res = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { authorization: basic(client.id, client.secret) },
    body: new URLSearchParams(params),
  });
  return { status: res.status, body: (await res.json()) as TokenResponse };
}

/** An authorization request (code + PKCE S256) for the BFF client. */
function authorizeRequest(extra: Record<string, string> = {}) {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(8).toString('hex');
  const nonce = randomBytes(8).toString('hex');
  const authorize = new URL(discovery.authorization_endpoint);
  authorize.search = new URLSearchParams({
    client_id: BFF.id,
    response_type: 'code',
    redirect_uri: callbackUrl,
    scope: SCOPE,
    state,
    nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...extra,
  }).toString();
  return { url: authorize, verifier, state, nonce };
}

/** Runs the authorization-code + PKCE flow through the real login form. */
async function signIn(jar: CookieJar, login: string, password: string, extra: Record<string, string> = {}) {
  const { url: authorize, verifier, state, nonce } = authorizeRequest(extra);
  const loginPage = await browse(jar, authorize);
  expect(loginPage.response.status).toBe(200);
  const html = await loginPage.response.text();
  expect(html).toMatch(/name="login"/);
  expect(html).toMatch(/name="password"/);
  const action = new URL(formAction(html)!, loginPage.url);

  const submitted = await browse(jar, action, {
    method: 'POST',
    body: new URLSearchParams({ login, password }),
    stopAt: (u) => u.href.startsWith(callbackUrl),
  });
  return { submitted, verifier, state, nonce, action };
}

async function signInAndExchange(jar: CookieJar, login: string, password: string, extra: Record<string, string> = {}) {
  const { submitted, verifier, state, nonce } = await signIn(jar, login, password, extra);
  expect(submitted.stopped).toBe(true);
  const callback = new URL(submitted.url);
  expect(callback.searchParams.get('state')).toBe(state);
  expect(callback.searchParams.get('iss')).toBe(op.issuer);
  const code = callback.searchParams.get('code')!;
  const { status, body } = await token({
    grant_type: 'authorization_code',
    code,
    redirect_uri: callbackUrl,
    code_verifier: verifier,
  });
  expect(status, JSON.stringify(body)).toBe(200);
  return { tokens: body, nonce };
}

beforeAll(async () => {
  receiver = await startReceiver();
  callbackUrl = `${receiver.url}/callback`;
  op = await startDemoProvider({
    apiAudience: API_AUDIENCE,
    clients: [
      {
        clientId: BFF.id,
        clientSecret: BFF.secret,
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: [callbackUrl],
        postLogoutRedirectUris: [`${receiver.url}/logged-out`],
        backchannelLogoutUri: `${receiver.url}/backchannel-logout`,
        clientName: 'Portcullis <Demo>',
      },
      { clientId: WORKER.id, clientSecret: WORKER.secret, grantTypes: ['client_credentials'] },
    ],
  });
  api = await startTodoApi({ issuer: op.issuer, audience: API_AUDIENCE, requireScopes: true });
  discovery = (await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json()) as Discovery;
});

afterAll(async () => {
  await Promise.all([api?.stop(), op?.stop(), receiver?.close()]);
});

describe('demo OpenID provider', () => {
  it('publishes discovery with the expected endpoints and features', () => {
    expect(discovery.issuer).toBe(op.issuer);
    expect(op.issuer).toBe(`http://localhost:${op.port}`);
    expect(discovery.end_session_endpoint).toBeTruthy();
    expect(discovery.code_challenge_methods_supported).toEqual(['S256']);
    expect(discovery.backchannel_logout_supported).toBe(true);
    expect(discovery.backchannel_logout_session_supported).toBe(true);
    expect(discovery.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
    expect(discovery.revocation_endpoint).toBeTruthy();
    expect(discovery.introspection_endpoint).toBeTruthy();
  });

  it('rejects an authorization request without PKCE', async () => {
    const url = new URL(discovery.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: BFF.id,
      response_type: 'code',
      redirect_uri: callbackUrl,
      scope: 'openid',
    }).toString();
    const { url: landed } = await browse(new CookieJar(), url, { stopAt: (u) => u.href.startsWith(callbackUrl) });
    expect(new URL(landed).searchParams.get('error')).toBe('invalid_request');
  });

  it('does not sign in with a wrong password and re-renders the form with an error', async () => {
    const jar = new CookieJar();
    const { submitted } = await signIn(jar, 'alice', 'wrong');
    expect(submitted.stopped).toBe(false);
    expect(submitted.response.status).toBe(401);
    const html = await submitted.response.text();
    expect(html).toContain('Invalid username or password');
    expect(html).toMatch(/name="password"/);
    expect(html).toContain('value="alice"');
    expect(html).toContain('Portcullis &lt;Demo&gt;'); // escaped client name
    expect(jar.all().map((c) => c.name)).not.toContain('_session');
  });

  it('refuses a login POST from a browser that does not hold the interaction cookie', async () => {
    const { action } = await signIn(new CookieJar(), 'alice', 'wrong');
    const forged = await browse(new CookieJar(), action, {
      method: 'POST',
      body: new URLSearchParams({ login: 'alice', password: 'alice' }),
    });
    expect(forged.response.status).toBe(400);
    expect(forged.response.headers.get('location')).toBeNull();
    expect(await forged.response.text()).toContain('Something went wrong');
  });

  it('renders protocol errors as an HTML page with an error status', async () => {
    const end = new URL(discovery.end_session_endpoint);
    end.search = new URLSearchParams({ client_id: BFF.id, post_logout_redirect_uri: 'http://evil.test/' }).toString();
    const res = await fetch(end, { headers: { accept: 'text/html,application/xhtml+xml' } }); // as a browser
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('post_logout_redirect_uri not registered');
  });

  it('accepts offline_access with prompt=consent for a signed-in user (automatic consent step, no screen)', async () => {
    const jar = new CookieJar();
    await signInAndExchange(jar, 'bob', 'bob');
    const again = authorizeRequest({ scope: `${SCOPE} offline_access`, prompt: 'consent' });
    const result = await browse(jar, again.url, { stopAt: (u) => u.href.startsWith(callbackUrl) });
    expect(result.stopped).toBe(true);
    expect(result.visited.some((u) => u.includes('/interaction/'))).toBe(true); // went through consent
    const code = new URL(result.url).searchParams.get('code')!;
    const { body } = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: callbackUrl,
      code_verifier: again.verifier,
    });
    expect(body.refresh_token).toBeTruthy();
    expect(decodeJwt(body.id_token!).sub).toBe('bob');
  });

  it('signs alice in through the login form: ID token, refresh token and a JWT access token for the API', async () => {
    const jar = new CookieJar();
    const { tokens, nonce } = await signInAndExchange(jar, 'alice', 'alice');

    const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
    const { payload: id } = await jwtVerify(tokens.id_token!, jwks, { issuer: op.issuer, audience: BFF.id });
    expect(id).toMatchObject({
      sub: 'alice',
      name: 'Alice Anderson',
      email: 'alice@example.com',
      email_verified: true,
      preferred_username: 'alice',
      nonce,
    });
    expect(typeof id.sid).toBe('string');

    expect(tokens.refresh_token).toBeTruthy();

    expect(decodeProtectedHeader(tokens.access_token).typ).toBe('at+jwt');
    const { payload: at } = await jwtVerify(tokens.access_token, jwks, { issuer: op.issuer, audience: API_AUDIENCE });
    expect(at.sub).toBe('alice');
    expect(at.client_id).toBe(BFF.id);
    expect(String(at.scope).split(' ').sort()).toEqual(['todos:read', 'todos:write']);
    expect(at.exp! - at.iat!).toBe(300);
  });

  it('rotates refresh tokens and revokes the grant when an old one is reused', async () => {
    const { tokens } = await signInAndExchange(new CookieJar(), 'bob', 'bob');
    const first = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).toBeTruthy();
    expect(first.body.refresh_token).not.toBe(tokens.refresh_token);
    expect(decodeJwt(first.body.access_token).aud).toBe(API_AUDIENCE);
    expect(decodeJwt(first.body.id_token!).name).toBe('Bob Brown');

    const reuse = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
    // Reuse detection revoked the whole grant: the newest refresh token is dead too.
    const newest = await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token! });
    expect(newest.body.error).toBe('invalid_grant');
  });

  it('issues JWT access tokens for the API to client_credentials clients', async () => {
    const variants: Array<Record<string, string>> = [{}, { resource: API_AUDIENCE }, { scope: 'todos:read' }];
    for (const params of variants) {
      const { status, body } = await token({ grant_type: 'client_credentials', ...params }, WORKER);
      expect(status, JSON.stringify(body)).toBe(200);
      expect(decodeProtectedHeader(body.access_token).typ).toBe('at+jwt');
      const claims = decodeJwt(body.access_token);
      expect(claims.aud).toBe(API_AUDIENCE);
      expect(claims.client_id).toBe(WORKER.id);
    }
    const res = await fetch(`${api.url}/whoami`, {
      headers: {
        authorization: `Bearer ${(await token({ grant_type: 'client_credentials', scope: 'todos:read' }, WORKER)).body.access_token}`,
      },
    });
    expect(await res.json()).toMatchObject({ kind: 'client', clientId: WORKER.id, scopes: ['todos:read'] });
    // The BFF client may not use client_credentials.
    const denied = await token({ grant_type: 'client_credentials' }, BFF);
    expect(denied.status).toBe(400);
    expect(denied.body.error_description).toMatch(/grant type is not allowed/);
  });

  it('counts successful grants by grant_type', async () => {
    op.resetCounts();
    expect(op.grantCounts()).toEqual({});
    await token({ grant_type: 'client_credentials' }, WORKER);
    await token({ grant_type: 'client_credentials' }, WORKER);
    const { tokens } = await signInAndExchange(new CookieJar(), 'alice', 'alice');
    await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
    await token({ grant_type: 'refresh_token', refresh_token: 'nope' }); // failed: not counted
    expect(op.grantCounts()).toEqual({ client_credentials: 2, authorization_code: 1, refresh_token: 1 });
  });

  it('keeps state across stop() and restart() on the same port', async () => {
    const { tokens } = await signInAndExchange(new CookieJar(), 'alice', 'alice');
    const kid = op.currentKid();
    await op.stop();
    await expect(fetch(discovery.jwks_uri)).rejects.toThrow();
    await op.restart();
    const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((k) => k.kid)).toEqual([kid]);
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
    expect(refreshed.status).toBe(200);
  });

  it('rotates signing keys: new kid first, old kid still published, API accepts new tokens', async () => {
    const oldKid = op.currentKid();
    await op.rotateKeys();
    const newKid = op.currentKid();
    expect(newKid).not.toBe(oldKid);
    const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
    const { body } = await token({ grant_type: 'client_credentials' }, WORKER);
    expect(decodeProtectedHeader(body.access_token).kid).toBe(newKid);
    const res = await fetch(`${api.url}/whoami`, { headers: { authorization: `Bearer ${body.access_token}` } });
    expect(res.status).toBe(200);
  });

  it('ends the session on RP-initiated logout (client_id, no id_token_hint) and sends a back-channel logout token', async () => {
    const jar = new CookieJar();
    const { tokens } = await signInAndExchange(jar, 'alice', 'alice');
    const sid = decodeJwt(tokens.id_token!).sid;
    receiver.logoutTokens.length = 0;

    const end = new URL(discovery.end_session_endpoint);
    end.search = new URLSearchParams({
      client_id: BFF.id,
      post_logout_redirect_uri: `${receiver.url}/logged-out`,
      logout_hint: 'alice',
      state: 'bye',
    }).toString();
    const confirm = await browse(jar, end);
    expect(confirm.response.status).toBe(200);
    const html = await confirm.response.text();
    expect(html).toContain('Sign out?');
    expect(html).toMatch(/name="logout" value="yes"/);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
    expect(xsrf).toBeTruthy();

    const done = await browse(jar, new URL(formAction(html)!, confirm.url), {
      method: 'POST',
      body: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }),
      stopAt: (u) => u.origin === receiver.url,
    });
    expect(done.stopped).toBe(true);
    expect(done.url).toBe(`${receiver.url}/logged-out?state=bye`);

    expect(receiver.logoutTokens).toHaveLength(1);
    const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
    const { payload, protectedHeader } = await jwtVerify(receiver.logoutTokens[0]!, jwks, {
      issuer: op.issuer,
      audience: BFF.id,
    });
    expect(protectedHeader.typ).toBe('logout+jwt');
    expect(payload.sub).toBe('alice');
    expect(payload.sid).toBe(sid);
    expect(payload.events).toHaveProperty(['http://schemas.openid.net/event/backchannel-logout']);

    // The grant is gone with the session.
    const refresh = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
    expect(refresh.body.error).toBe('invalid_grant');
  });
});

describe('demo todo API', () => {
  const call = (path: string, init: RequestInit & { token?: string } = {}) => {
    const headers = new Headers(init.headers);
    if (init.token) headers.set('authorization', `Bearer ${init.token}`);
    if (init.body) headers.set('content-type', 'application/json');
    return fetch(`${api.url}${path}`, { ...init, headers });
  };

  it('answers /health without a token', async () => {
    const res = await call('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it("serves each user's own todos with their access token", async () => {
    const alice = (await signInAndExchange(new CookieJar(), 'alice', 'alice')).tokens.access_token;
    const bob = (await signInAndExchange(new CookieJar(), 'bob', 'bob')).tokens.access_token;

    const aliceList = (await (await call('/todos', { token: alice })).json()) as { todos: Array<{ id: string; title: string }> };
    const bobList = (await (await call('/todos', { token: bob })).json()) as { todos: Array<{ id: string; title: string }> };
    expect(aliceList.todos).toHaveLength(2);
    expect(bobList.todos).toHaveLength(1);
    expect(bobList.todos[0]!.title).not.toBe(aliceList.todos[0]!.title);

    const created = await call('/todos', { method: 'POST', token: alice, body: JSON.stringify({ title: 'Ship Portcullis' }) });
    expect(created.status).toBe(201);
    const todo = (await created.json()) as { id: string; title: string; done: boolean; createdAt: string };
    expect(todo).toMatchObject({ title: 'Ship Portcullis', done: false });

    expect((await call(`/todos/${todo.id}`, { token: alice })).status).toBe(200);
    expect((await call(`/todos/${todo.id}`, { token: bob })).status).toBe(404);
    const patched = await call(`/todos/${todo.id}`, { method: 'PATCH', token: alice, body: JSON.stringify({ done: true }) });
    expect(await patched.json()).toMatchObject({ done: true });
    expect((await call(`/todos/${todo.id}`, { method: 'DELETE', token: bob })).status).toBe(404);
    expect((await call(`/todos/${todo.id}`, { method: 'DELETE', token: alice })).status).toBe(204);

    expect((await call('/todos', { method: 'POST', token: alice, body: JSON.stringify({ title: '' }) })).status).toBe(400);
    expect((await call('/todos', { method: 'POST', token: alice, body: JSON.stringify({ title: 'x'.repeat(201) }) })).status).toBe(400);
    expect((await call('/todos', { method: 'POST', token: alice, body: '{oops' })).status).toBe(400);
    const huge = JSON.stringify({ title: 'x', pad: 'y'.repeat(17 * 1024) });
    expect((await call('/todos', { method: 'POST', token: alice, body: huge })).status).toBe(413);

    expect(await (await call('/whoami', { token: alice })).json()).toMatchObject({ sub: 'alice', clientId: BFF.id, kind: 'user' });

    const recorded = api.requests.filter((r) => r.authorization === `Bearer ${alice}`);
    expect(recorded.length).toBeGreaterThan(5);
    expect(recorded[0]).toMatchObject({ method: 'GET', path: '/todos' });
  });

  it('needs todos:read to read and todos:write to change todos', async () => {
    const readOnly = (await signInAndExchange(new CookieJar(), 'bob', 'bob', { scope: 'openid todos:read' })).tokens.access_token;
    expect(decodeJwt(readOnly).scope).toBe('todos:read');
    expect((await call('/todos', { token: readOnly })).status).toBe(200);
    const created = await call('/todos', { method: 'POST', token: readOnly, body: JSON.stringify({ title: 'nope' }) });
    expect(created.status).toBe(403);
    expect(created.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", error_description="the access token lacks a required scope", scope="todos:write"');
    expect(await created.json()).toEqual({ error: 'insufficient_scope', error_description: 'the access token lacks a required scope' });
    // /whoami needs no scope.
    expect(await (await call('/whoami', { token: readOnly })).json()).toEqual({
      sub: 'bob',
      clientId: BFF.id,
      scopes: ['todos:read'],
      kind: 'user',
    });
  });

  it('without requireScopes, serves user tokens without the todo scopes, and still no client token', async () => {
    const noScope = (await signInAndExchange(new CookieJar(), 'bob', 'bob', { scope: 'openid profile' })).tokens.access_token;
    expect(decodeJwt(noScope).scope).toBeUndefined();
    const machine = (await token({ grant_type: 'client_credentials', scope: 'todos:read todos:write' }, WORKER)).body.access_token;
    const lax = await startTodoApi({ issuer: op.issuer, audience: API_AUDIENCE });
    try {
      const get = (t: string) => fetch(`${lax.url}/todos`, { headers: { authorization: `Bearer ${t}` } });
      expect((await get(noScope)).status).toBe(200);
      const refused = await get(machine);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ error: 'user_token_required' });
    } finally {
      await lax.stop();
    }
  });

  it('rejects missing, garbage, foreign and expired tokens with 401 and WWW-Authenticate', async () => {
    const missing = await call('/todos');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(await missing.json()).toMatchObject({ error: 'invalid_token' });

    const garbage = await call('/todos', { token: 'garbage' });
    expect(garbage.status).toBe(401);
    expect(garbage.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);

    const { tokens } = await signInAndExchange(new CookieJar(), 'alice', 'alice');
    // An ID token is signed by the same issuer, but it is not an access token.
    const idToken = await call('/todos', { token: tokens.id_token! });
    expect(idToken.status).toBe(401);

    // An access token of this provider that expired an hour ago (signed with its current key).
    const now = Math.floor(Date.now() / 1000);
    const expiredToken = await op.signJwt({ sub: 'alice', client_id: BFF.id, aud: API_AUDIENCE, scope: 'todos:read todos:write', iat: now - 3600, exp: now - 3300 }, { typ: 'at+jwt' });
    const expired = await call('/todos', { token: expiredToken });
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    expect(await expired.json()).toMatchObject({ error: 'invalid_token', error_description: 'the access token expired' });
    // The same claims, still valid: only the expiry was wrong.
    const fresh = await op.signJwt({ sub: 'alice', client_id: BFF.id, aud: API_AUDIENCE, scope: 'todos:read todos:write', exp: now + 60 }, { typ: 'at+jwt' });
    expect((await call('/todos', { token: fresh })).status).toBe(200);
  });
});

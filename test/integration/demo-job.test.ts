// The demo backend job (demo/job.ts): machine-to-machine access to the todo
// API with the job's own client_credentials client, next to a user's token.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTodoApi, type TodoApi } from '../../demo/api/create-api.ts';
import { DEMO_JOB_CLIENT, runJob } from '../../demo/job.ts';
import { startDemoProvider, type DemoProvider } from '../../demo/provider/create-provider.ts';
import { CookieJar, browse } from '../helpers/cookie-jar.ts';

const API_AUDIENCE = 'http://todo-api.portcullis.test';
const BFF = { id: 'portcullis-bff', secret: 'bff-secret' };
// Never fetched: the test "browser" stops before following the redirect to it.
const CALLBACK = 'http://localhost:9/callback';

let op: DemoProvider;
let api: TodoApi;
let tokenEndpoint: string;
let authorizationEndpoint: string;

beforeAll(async () => {
  op = await startDemoProvider({
    apiAudience: API_AUDIENCE,
    clients: [DEMO_JOB_CLIENT, { clientId: BFF.id, clientSecret: BFF.secret, grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [CALLBACK] }],
  });
  api = await startTodoApi({ issuer: op.issuer, audience: API_AUDIENCE, requireScopes: true });
  const discovery = (await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
  tokenEndpoint = discovery['token_endpoint']!;
  authorizationEndpoint = discovery['authorization_endpoint']!;
});

afterAll(async () => {
  await Promise.all([api?.stop(), op?.stop()]);
});

const job = (extra: Partial<Parameters<typeof runJob>[0]> = {}) =>
  runJob({
    providerUrl: op.issuer,
    apiUrl: api.url,
    clientId: DEMO_JOB_CLIENT.clientId,
    clientSecret: DEMO_JOB_CLIENT.clientSecret,
    resource: API_AUDIENCE,
    ...extra,
  });

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** A client_credentials token of the job's client, as the job gets it. */
async function jobToken(scope?: string): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'client_credentials', resource: API_AUDIENCE });
  if (scope) body.set('scope', scope);
  const res = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { authorization: basic(DEMO_JOB_CLIENT.clientId, DEMO_JOB_CLIENT.clientSecret) },
    body,
  });
  const json = (await res.json()) as { access_token: string };
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json.access_token;
}

/** alice signs in through the provider's login form (code + PKCE): her access token for the API. */
async function userToken(login = 'alice'): Promise<string> {
  const jar = new CookieJar();
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(authorizationEndpoint);
  authorize.search = new URLSearchParams({
    client_id: BFF.id,
    response_type: 'code',
    redirect_uri: CALLBACK,
    scope: 'openid todos:read todos:write',
    state: 'xyz',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  const page = await browse(jar, authorize);
  const html = await page.response.text();
  const action = /<form[^>]*action="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
  const done = await browse(jar, new URL(action, page.url), {
    method: 'POST',
    body: new URLSearchParams({ login, password: login }),
    stopAt: (u) => u.href.startsWith(CALLBACK),
  });
  expect(done.stopped).toBe(true);
  const code = new URL(done.url).searchParams.get('code')!;
  const res = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { authorization: basic(BFF.id, BFF.secret) },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier }),
  });
  const json = (await res.json()) as { access_token: string };
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json.access_token;
}

const call = (path: string, token: string, init: RequestInit = {}) =>
  fetch(`${api.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
  });

describe('DEMO_JOB_CLIENT', () => {
  it('is a client_credentials-only client named demo-job', () => {
    expect(DEMO_JOB_CLIENT).toMatchObject({ clientId: 'demo-job', grantTypes: ['client_credentials'] });
    expect(DEMO_JOB_CLIENT.clientSecret.length).toBeGreaterThanOrEqual(16);
    expect(Object.isFrozen(DEMO_JOB_CLIENT)).toBe(true);
  });
});

describe('the demo job', () => {
  it("gets a token with its own client, and the API's /whoami sees a machine", async () => {
    op.resetCounts();
    const seen = await job();
    expect(seen).toEqual({ sub: 'demo-job', clientId: 'demo-job', scopes: [], kind: 'client' });
    expect(op.grantCounts()).toEqual({ client_credentials: 1 });

    const request = api.requests.at(-1)!;
    expect(request).toMatchObject({ method: 'GET', path: '/whoami' });
    const claims = decodeJwt(request.authorization!.replace(/^Bearer /, ''));
    expect(claims).toMatchObject({ client_id: 'demo-job', sub: 'demo-job', aud: API_AUDIENCE, iss: op.issuer });
    expect(claims.scope).toBeUndefined(); // no scope asked, none granted: /whoami needs none
  });

  it("says 'user' for a user's token through the same API", async () => {
    const res = await call('/whoami', await userToken());
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sub: 'alice', clientId: BFF.id, scopes: ['todos:read', 'todos:write'], kind: 'user' });
  });

  it("cannot read or change a user's todos: 403 user_token_required, even with the todo scopes", async () => {
    const alice = await userToken();
    const aliceTodos = ((await (await call('/todos', alice)).json()) as { todos: Array<{ id: string }> }).todos;
    expect(aliceTodos).toHaveLength(2);
    const id = aliceTodos[0]!.id;

    const denied = { error: 'user_token_required', error_description: 'todos belong to users: a client token cannot read or change them' };
    for (const token of [await jobToken(), await jobToken('todos:read todos:write')]) {
      for (const [path, init] of [
        ['/todos', {}],
        [`/todos/${id}`, {}],
        ['/todos', { method: 'POST', body: JSON.stringify({ title: 'from the job' }) }],
        [`/todos/${id}`, { method: 'PATCH', body: JSON.stringify({ done: true }) }],
        [`/todos/${id}`, { method: 'DELETE' }],
      ] as Array<[string, RequestInit]>) {
        const res = await call(path, token, init);
        expect(res.status, `${init.method ?? 'GET'} ${path}`).toBe(403);
        expect(await res.json()).toEqual(denied);
      }
    }
    // Alice's todos are untouched.
    const after = ((await (await call('/todos', alice)).json()) as { todos: Array<{ id: string; done: boolean }> }).todos;
    expect(after).toHaveLength(2);
    expect(after.find((t) => t.id === id)).toMatchObject({ done: false });
  });

  it('fails with a readable error, without the secret, when the secret is wrong', async () => {
    const secret = 'wrong-secret-value-1234';
    const err = await job({ clientSecret: secret }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/the provider refused a token to client demo-job \(invalid_client/);
    expect(err!.message).not.toContain(secret);
  });

  it('fails when asking for a resource the provider does not know', async () => {
    await expect(job({ resource: 'http://elsewhere.test' })).rejects.toThrow(/the provider refused a token .*invalid_target/);
  });

  it('fails when the API refuses the token (another audience)', async () => {
    const other = await startTodoApi({ issuer: op.issuer, audience: 'http://other-api.portcullis.test' });
    try {
      await expect(job({ apiUrl: other.url })).rejects.toThrow(/the API answered 401 to \/whoami \(invalid_token: the access token is not intended for this resource server\)/);
    } finally {
      await other.stop();
    }
  });

  it('runs as a command (tsx demo/job.ts) with the DEMO_* environment', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../../demo/job.ts', import.meta.url))], {
      env: {
        ...process.env,
        DEMO_PROVIDER_URL: op.issuer,
        DEMO_API_URL: api.url,
        DEMO_API_AUDIENCE: API_AUDIENCE,
        DEMO_JOB_SECRET: DEMO_JOB_CLIENT.clientSecret,
      },
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      timeout: 20_000,
    });
    expect(stdout).toContain("The API saw a machine: kind 'client', clientId 'demo-job', sub 'demo-job', scopes (none).");
  });
});

/**
 * `GET /bff/logout?sid=…`: only the session-bound sid ends a session; the
 * browser then goes to the provider's end-session endpoint without the ID
 * token, and comes back to the application once the user confirms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BffClient } from '../support/client.ts';
import { browse } from '../support/cookie-jar.ts';
import { startStack, type Stack } from '../support/harness.ts';
import { dump, parseSetCookie, setCookiesFor } from '../support/http.ts';
import { loginFrom } from '../support/login.ts';
import { expectNoTokenIn, memoryStore, sessionIdOf, sessionRecord, sessionsOf, tokensOf } from '../support/session.ts';
import { internalsOf } from '../../src/internals.ts';

let stack: Stack;
let discovery: { end_session_endpoint: string; token_endpoint: string };

beforeAll(async () => {
  stack = await startStack();
  discovery = (await (await fetch(`${stack.provider.issuer}/.well-known/openid-configuration`)).json()) as typeof discovery;
});
afterAll(() => stack?.stop());

async function signedIn(user = 'alice'): Promise<{ client: BffClient; logoutUrl: string; id: string }> {
  const client = new BffClient(stack.baseUrl);
  await client.login(user);
  const { status, body } = await client.user();
  expect(status).toBe(200);
  return { client, logoutUrl: body['logoutUrl'] as string, id: sessionIdOf(client)! };
}

describe('GET /bff/logout with the right sid', () => {
  it('destroys the session, clears the cookie and redirects to end_session_endpoint with client_id, post_logout_redirect_uri and logout_hint, not id_token_hint', async () => {
    const { client, logoutUrl, id } = await signedIn();
    const auth = await sessionRecord(stack, id);
    const tokens = auth!.tokens;
    const oldCookie = client.jar.cookieHeader(stack.baseUrl)!;

    const response = await client.fetch(logoutUrl, { csrf: false });
    expect(response.status).toBe(302);
    expect(response.headers.get('cache-control')).toBe('no-store');

    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(discovery.end_session_endpoint);
    expect(location.searchParams.get('client_id')).toBe(stack.client.id);
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${stack.baseUrl}/`);
    expect(location.searchParams.get('logout_hint')).toBe(auth!.sid);
    expect(location.searchParams.has('id_token_hint')).toBe(false);
    // A fresh state per logout (Keycloak redirects back only with one), stored server-side and bound by a cookie.
    expect(location.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await internalsOf(stack.bff).store.get(`logout-state:${location.searchParams.get('state')}`)).toMatchObject({ returnTo: '/' });
    expect(setCookiesFor(response, 'portcullis-logout')).toHaveLength(1);
    expect(response.headers.get('portcullis-logout')).toBe('provider');
    expectNoTokenIn(await dump(response), tokens, 'logout response');

    // The server-side session is gone, the cookie cleared.
    expect(await sessionRecord(stack, id)).toBeUndefined();
    expect(await internalsOf(stack.bff).store.get(id)).toBeUndefined();
    const cleared = setCookiesFor(response, 'portcullis').map(parseSetCookie);
    expect(cleared).toHaveLength(1);
    expect(cleared[0]!.value).toBe('');
    expect(Date.parse(cleared[0]!.attributes.get('expires') ?? '')).toBeLessThan(Date.now());
    expect(cleared[0]!.attributes.get('path')).toBe('/');
    expect(client.sessionCookie()).toBeUndefined();
    expect((await client.user()).status).toBe(401);

    // Replaying the old Cookie header: dead.
    const replay = await fetch(new URL('/bff/user', stack.baseUrl), { headers: { cookie: oldCookie, 'x-csrf': '1' } });
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: string }).error).toBe('unauthenticated');
    const replayProxy = await fetch(new URL('/api/echo', stack.baseUrl), { headers: { cookie: oldCookie, 'x-csrf': '1' } });
    expect(replayProxy.status).toBe(401);
  });

  it('puts returnTo into post_logout_redirect_uri', async () => {
    const { client, logoutUrl } = await signedIn();
    const response = await client.fetch(`${logoutUrl}&returnTo=${encodeURIComponent('/goodbye?x=1')}`, { csrf: false });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${stack.baseUrl}/goodbye?x=1`);
  });

  it('revokes the refresh token at the provider (best effort, on by default)', async () => {
    const { client, logoutUrl, id } = await signedIn();
    const refreshToken = (await sessionRecord(stack, id))!.tokens.refreshToken!;
    expect(refreshToken).toBeTruthy();
    expect((await client.fetch(logoutUrl, { csrf: false })).status).toBe(302);
    const grant = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${stack.client.id}:${stack.client.secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    });
    expect(grant.status).toBe(400);
    expect(((await grant.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('follows through the provider: confirm page, form with xsrf, back on baseUrl + "/"; the provider session is over too', async () => {
    const { client, logoutUrl, id } = await signedIn();
    const oldCookie = client.jar.cookieHeader(stack.baseUrl)!;
    const confirm = await client.navigate(logoutUrl);
    expect(confirm.response.status).toBe(200);
    expect(new URL(confirm.url).origin).toBe(stack.provider.issuer);
    const html = await confirm.response.text();
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
    expect(xsrf).toBeTruthy();
    expect(html).toMatch(/name="logout" value="yes"/);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
    const done = await browse(client.jar, new URL(action, confirm.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }),
    });
    // Back on post_logout_redirect_uri (baseUrl + "/"), with the state the BFF sent: the application's page ignores it.
    const landed = new URL(done.url);
    expect(`${landed.origin}${landed.pathname}`).toBe(`${stack.baseUrl}/`);
    expect([...landed.searchParams.keys()]).toEqual(['state']);
    expect(done.response.status).toBe(200);
    expect(await sessionRecord(stack, id)).toBeUndefined();
    expect((await client.user()).status).toBe(401);
    const replay = await fetch(new URL('/bff/user', stack.baseUrl), { headers: { cookie: oldCookie, 'x-csrf': '1' } });
    expect(replay.status).toBe(401);
    // The provider forgot the user: a new login shows its form again.
    const again = await loginFrom(client, '/bff/login');
    expect(again.url).toBe(`${stack.baseUrl}/`);
  });
});

describe('the way back from the provider', () => {
  it('a state the BFF did not start, on post_logout_redirect_uri: no redirect elsewhere, no error page', async () => {
    const anonymous = new BffClient(stack.baseUrl);
    for (const query of ['state=forged', 'state=forged&error=access_denied', `state=${'A'.repeat(43)}`]) {
      const response = await anonymous.fetch(`/?${query}`, { csrf: false });
      expect(response.status, query).toBe(200);
      expect(response.headers.get('location'), query).toBeNull();
      await response.body?.cancel();
    }
  });
});

describe('GET /bff/logout refusals', () => {
  it('answers 400 to a live session with a missing, wrong, foreign or repeated sid, and the session stays', async () => {
    const { client, logoutUrl, id } = await signedIn();
    const other = await signedIn('bob');
    const sid = new URL(logoutUrl, stack.baseUrl).searchParams.get('sid')!;
    const attempts = [
      '/bff/logout',
      '/bff/logout?sid=',
      '/bff/logout?sid=wrong',
      `/bff/logout?sid=${sid.slice(0, -1)}`,
      `/bff/logout?sid=${sid}x`,
      `/bff/logout?sid=${sid.toUpperCase() === sid ? sid.toLowerCase() : sid.toUpperCase()}`,
      other.logoutUrl,
      `${logoutUrl}&sid=${sid}`,
      `/bff/logout?SID=${sid}`,
    ];
    for (const path of attempts) {
      const response = await client.fetch(path, { csrf: false });
      expect(response.status, path).toBe(400);
      expect(response.headers.get('location'), path).toBeNull();
      expect(((await response.json()) as { error: string }).error, path).toBe('invalid_request');
      expect(setCookiesFor(response, 'portcullis'), path).toEqual([]);
    }
    expect(await sessionRecord(stack, id)).toBeDefined();
    expect((await client.user()).status).toBe(200);
    expect((await other.client.user()).status).toBe(200);
  });

  it('answers 400 to a bad returnTo, with or without a session (the session stays)', async () => {
    const { client, logoutUrl } = await signedIn();
    for (const returnTo of ['https://evil.com', '//evil.com', '/\\evil.com', '/%2F%2Fevil.com', 'javascript:alert(1)']) {
      const withSession = await client.fetch(`${logoutUrl}&returnTo=${encodeURIComponent(returnTo)}`, { csrf: false });
      expect(withSession.status, returnTo).toBe(400);
      expect(withSession.headers.get('location')).toBeNull();
      await withSession.body?.cancel();
      const anonymous = await new BffClient(stack.baseUrl).fetch(`/bff/logout?returnTo=${encodeURIComponent(returnTo)}`, { csrf: false });
      expect(anonymous.status, returnTo).toBe(400);
      expect(anonymous.headers.get('location')).toBeNull();
      await anonymous.body?.cancel();
    }
    expect((await client.user()).status).toBe(200);
    const twice = await client.fetch(`${logoutUrl}&returnTo=%2Fa&returnTo=%2Fb`, { csrf: false });
    expect(twice.status).toBe(400);
    expect((await client.user()).status).toBe(200);
  });

  it('answers a refusal with an HTML page when the browser asks for HTML', async () => {
    const { client } = await signedIn();
    const response = await client.fetch('/bff/logout?sid=wrong', { csrf: false, headers: { accept: 'text/html' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await client.user()).status).toBe(200);
  });
});

describe('GET /bff/logout without a session', () => {
  it('redirects (302) to returnTo on the base URL, "/" by default, and touches nothing', async () => {
    const anonymous = new BffClient(stack.baseUrl);
    const size = memoryStore(stack).size;
    const plain = await anonymous.fetch('/bff/logout', { csrf: false });
    expect(plain.status).toBe(302);
    expect(plain.headers.get('location')).toBe(`${stack.baseUrl}/`);
    const withSid = await anonymous.fetch('/bff/logout?sid=whatever&returnTo=%2Fbye', { csrf: false });
    expect(withSid.status).toBe(302);
    expect(withSid.headers.get('location')).toBe(`${stack.baseUrl}/bye`);
    expect(memoryStore(stack).size).toBe(size);
  });

  it('does not end other sessions of the same user', async () => {
    const first = await signedIn();
    const second = await signedIn();
    expect((await first.client.fetch(first.logoutUrl, { csrf: false })).status).toBe(302);
    expect((await second.client.user()).status).toBe(200);
    expect(await sessionsOf(stack, 'alice')).toContain(second.id);
    expect(await sessionsOf(stack, 'alice')).not.toContain(first.id);
    await tokensOf(stack, second.client);
  });
});

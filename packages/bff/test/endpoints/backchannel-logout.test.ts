/**
 * Back-channel logout: the real provider ends a session server to server;
 * logout tokens by sid and by sub; replays and malformed tokens refused.
 */
import { generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BffClient, formAction } from '../support/client.ts';
import { browse } from '../support/cookie-jar.ts';
import { startStack, type Stack } from '../support/harness.ts';
import { eventually, sessionIdOf, sessionRecord } from '../support/session.ts';

const EVENT = { 'http://schemas.openid.net/event/backchannel-logout': {} };

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const post = (body: string, type = 'application/x-www-form-urlencoded') => fetch(`${stack.baseUrl}/bff/backchannel-logout`, { method: 'POST', headers: { 'content-type': type }, body });
const send = (token: string) => post(new URLSearchParams({ logout_token: token }).toString());
const jti = () => crypto.randomUUID();

/** A logout token signed by the provider, with `exp` two minutes ahead unless the payload sets it (`exp: undefined` leaves it out). */
const logoutToken = (payload: Record<string, unknown>, header: Record<string, unknown> = { typ: 'logout+jwt' }) => {
  const claims = { exp: Math.floor(Date.now() / 1000) + 120, ...payload };
  if (claims.exp === undefined) delete (claims as Record<string, unknown>)['exp'];
  return stack.provider.signJwt(claims, header);
};

const signedIn = (user = 'alice') => BffClient.signedIn(stack.baseUrl, user);

describe('back-channel logout from the real provider', () => {
  it("ending alice's session at the provider's own end-session page ends it at the BFF", async () => {
    const tab = await signedIn('alice');
    expect((await tab.user()).status).toBe(200);
    const page = await browse(tab.jar, `${stack.provider.issuer}/session/end`);
    const html = await page.response.text();
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
    expect(xsrf).toBeTruthy();
    await browse(tab.jar, formAction(html, page.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }),
    });
    await eventually(async () => (await tab.user()).status === 401);
  });
});

describe('logout tokens', () => {
  it('by sid: ends the sessions of that provider session only', async () => {
    const alice = await signedIn('alice');
    const other = await signedIn('alice');
    const { sid, sub } = (await sessionRecord(stack, sessionIdOf(alice)!))!;
    const response = await send(await logoutToken({ aud: stack.client.id, jti: jti(), sid, sub, events: EVENT }, { typ: 'logout+jwt' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect((await alice.user()).status).toBe(401);
    expect((await other.user()).status).toBe(200);
  });

  it('by sub only: ends every session of that user, and nobody else', async () => {
    const one = await signedIn('alice');
    const two = await signedIn('alice');
    const bob = await signedIn('bob');
    const response = await send(await logoutToken({ aud: stack.client.id, jti: jti(), sub: 'alice', events: EVENT }));
    expect(response.status).toBe(200);
    expect((await one.user()).status).toBe(401);
    expect((await two.user()).status).toBe(401);
    expect((await bob.user()).status).toBe(200);
  });

  it('accepts a token without typ (explicit typing is RECOMMENDED, not required)', async () => {
    const response = await send(await logoutToken({ aud: stack.client.id, jti: jti(), sub: 'nobody', events: EVENT }, {}));
    expect(response.status).toBe(200);
  });

  it('lets exactly one of 10 concurrent deliveries of one token through (atomic replay marker)', async () => {
    const token = await logoutToken({ aud: stack.client.id, jti: jti(), sub: 'nobody', events: EVENT });
    const statuses = await Promise.all(Array.from({ length: 10 }, () => send(token).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(9);
  });

  it('refuses a replayed jti', async () => {
    const token = await logoutToken({ aud: stack.client.id, jti: jti(), sub: 'nobody', events: EVENT });
    expect((await send(token)).status).toBe(200);
    const replay = await send(token);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_request' });
  });

  describe('refuses malformed logout tokens with 400 and ends nothing', () => {
    let bob: BffClient;
    beforeAll(async () => {
      bob = await signedIn('bob');
    });
    const base = () => ({ aud: stack.client.id, jti: jti(), sub: 'bob', events: EVENT });
    const now = () => Math.floor(Date.now() / 1000);
    const cases: Array<[string, () => Promise<Response>]> = [
      ['no body', () => post('')],
      ['wrong content type', async () => post(JSON.stringify({ logout_token: await logoutToken(base()) }), 'application/json')],
      ['two logout tokens', async () => post(`logout_token=${await logoutToken(base())}&logout_token=${await logoutToken(base())}`)],
      ['garbage', () => send('not-a-jwt')],
      ['alg none', () => send(new UnsecuredJWT({ ...base(), iss: stack.provider.issuer, iat: now() }).encode())],
      [
        'another key',
        async () => {
          const { privateKey } = await generateKeyPair('RS256');
          return send(
            await new SignJWT({ ...base(), iss: stack.provider.issuer }).setProtectedHeader({ alg: 'RS256', kid: stack.provider.currentKid() }).setIssuedAt().setExpirationTime('2m').sign(privateKey),
          );
        },
      ],
      ['wrong iss', async () => send(await logoutToken({ ...base(), iss: 'http://evil.example' }))],
      ['wrong aud', async () => send(await logoutToken({ ...base(), aud: 'another-client' }))],
      ['a nonce (an ID token)', async () => send(await logoutToken({ ...base(), nonce: 'n' }))],
      ['no events', async () => send(await logoutToken({ aud: stack.client.id, jti: jti(), sub: 'bob' }))],
      ['the wrong event', async () => send(await logoutToken({ ...base(), events: { 'http://example.com/other': {} } }))],
      ['neither sid nor sub', async () => send(await logoutToken({ aud: stack.client.id, jti: jti(), events: EVENT }))],
      ['no jti', async () => send(await logoutToken({ aud: stack.client.id, sub: 'bob', events: EVENT }))],
      ['an old iat', async () => send(await logoutToken({ ...base(), iat: now() - 600 }))],
      ['a future iat', async () => send(await logoutToken({ ...base(), iat: now() + 600 }))],
      ['typ at+jwt', async () => send(await logoutToken(base(), { typ: 'at+jwt' }))],
      ['typ JWT (what an ID token carries)', async () => send(await logoutToken(base(), { typ: 'JWT' }))],
      ['no exp (REQUIRED since errata set 1)', async () => send(await logoutToken({ ...base(), exp: undefined }))],
      ['an expired exp', async () => send(await logoutToken({ ...base(), exp: now() - 60 }))],
      ['an exp more than an hour after iat', async () => send(await logoutToken({ ...base(), exp: now() + 7200 }))],
      ['a jti of 300 characters', async () => send(await logoutToken({ ...base(), jti: 'j'.repeat(300) }))],
    ];
    for (const [name, attempt] of cases) {
      it(name, async () => {
        const response = await attempt();
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({ error: 'invalid_request' });
        expect((await bob.user()).status).toBe(200);
      });
    }
  });
});

/**
 * `GET /bff/diagnostics` (only with `diagnostics: true`, behind the CSRF
 * check): the setup and what the session holds, with presence flags and
 * expiries, never a token, the client secret or a session key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BffClient } from '../support/client.ts';
import { startBff, startStack, type Stack } from '../support/harness.ts';
import { dump } from '../support/http.ts';
import { expectNoTokenIn, tokensOf } from '../support/session.ts';

const KEY = 'diagnostics-session-key-0123456789abcdef';
let stack: Stack;
let alice: BffClient;

beforeAll(async () => {
  stack = await startStack({ bff: { diagnostics: true, session: { keys: [KEY] } } });
  alice = await BffClient.signedIn(stack.baseUrl, 'alice');
});
afterAll(() => stack?.stop());

interface Diagnostics {
  issuer: string;
  clientId: string;
  baseUrl: string;
  cookie: { name: string; secure: boolean; sameSite: string };
  store: string;
  apis: Array<{ path: string; target: string; token: string }>;
  session: null | {
    sub: string;
    providerSessionId: string | null;
    accessToken: { present: boolean; type: string; expiresInSeconds: number };
    refreshToken: { present: boolean; hint?: string };
    idToken: { present: boolean };
    scope: string | null;
  };
}

describe('GET /bff/diagnostics', () => {
  it('shows the setup and the session: presence flags and expiries, never a secret', async () => {
    const response = await alice.fetch('/bff/diagnostics');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const text = await dump(response.clone());
    const body = (await response.json()) as Diagnostics;
    expect(body).toMatchObject({
      issuer: stack.provider.issuer,
      clientId: stack.client.id,
      baseUrl: stack.baseUrl,
      cookie: { name: 'portcullis', secure: false, sameSite: 'strict' },
      store: 'MemorySessionStore',
    });
    expect(body.apis).toHaveLength(1);
    expect(body.apis[0]).toMatchObject({ path: '/api/echo', target: `${stack.api.url}/echo`, token: 'user' });
    expect(body.session).toMatchObject({ sub: 'alice', accessToken: { present: true, type: 'Bearer' }, refreshToken: { present: true }, idToken: { present: true } });
    expect(body.session!.providerSessionId).toBeTruthy();
    expect(body.session!.refreshToken.hint).toBeUndefined();
    expect(body.session!.accessToken.expiresInSeconds).toBeGreaterThan(0);
    expect(body.session!.accessToken.expiresInSeconds).toBeLessThanOrEqual(300);
    expectNoTokenIn(text, await tokensOf(stack, alice), 'diagnostics');
    for (const secret of [stack.client.secret, KEY, alice.sessionCookie()!]) expect(text).not.toContain(secret);
  });

  it('answers with session null when nobody is signed in', async () => {
    const response = await new BffClient(stack.baseUrl).fetch('/bff/diagnostics');
    expect(response.status).toBe(200);
    expect(((await response.json()) as Diagnostics).session).toBeNull();
  });

  it('needs X-CSRF: 1 and a same-origin request, like /bff/user', async () => {
    const attempts: Array<RequestInit & { csrf?: boolean }> = [{ csrf: false }, { headers: { origin: 'https://evil.com' } }, { headers: { 'sec-fetch-site': 'cross-site' } }];
    for (const init of attempts) {
      const response = await alice.fetch('/bff/diagnostics', init);
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: string }).error).toBe('csrf_required');
    }
  });

  it('is not there without `diagnostics: true`: 404 like any unknown path', async () => {
    const plain = await startBff({ issuer: stack.provider.issuer, clientId: stack.client.id, clientSecret: stack.client.secret, baseUrl: stack.baseUrl, session: { keys: [KEY] } });
    try {
      const response = await fetch(`${plain.url}/bff/diagnostics`, { headers: { 'x-csrf': '1', cookie: alice.jar.cookieHeader(stack.baseUrl)! } });
      expect(response.status).toBe(404);
      expect(response.headers.get('allow')).toBeNull();
      await response.body?.cancel();
    } finally {
      await plain.stop();
    }
  });
});

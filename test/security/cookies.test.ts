/**
 * Attack suite: the session cookie (`<id>.<HMAC-SHA256(id)>`, src/session/cookie.ts).
 * Variants beyond the integration suite's single-character tampering: MACs
 * swapped between two users' cookies, MAC re-encodings, a cookie signed by
 * another deployment, the login-binding cookie replayed as a session cookie,
 * cookies of destroyed sessions (logout, back-channel logout, revoked refresh
 * token), oversized and duplicated cookies. Every case: anonymous (401 on
 * /bff/user and on the proxy, nothing forwarded), no Set-Cookie that sets a
 * session, no session record created or changed, the process still healthy.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rawHttp, setCookiesNamed, startArena, type Arena } from '../helpers/attack.ts';
import { BffClient } from '../helpers/bff-client.ts';
import { authOf, eventually, expireAccessToken } from '../helpers/sessions.ts';

const EVENT = { 'http://schemas.openid.net/event/backchannel-logout': {} };

let arena: Arena;
let alice: { value: string; id: string; mac: string };
let bob: { value: string; id: string; mac: string };

const parts = (value: string) => {
  const [id, mac] = value.split('.') as [string, string];
  return { value, id, mac };
};

beforeAll(async () => {
  arena = await startArena();
  const a = new BffClient(arena.baseUrl);
  await a.login('alice');
  alice = parts(a.sessionCookie()!);
  bob = parts(arena.sentinel.sessionCookie()!);
});
afterAll(() => arena?.stop());
beforeEach(() => {
  arena.stack.api.requests.length = 0;
});

/** /bff/user and a proxied GET with `cookie` (a full Cookie header): both must be anonymous. */
async function expectAnonymous(cookie: string): Promise<void> {
  await arena.guard(async () => {
    for (const path of ['/bff/user', '/api/todos']) {
      const response = await fetch(new URL(path, arena.baseUrl), { headers: { cookie, 'x-csrf': '1' }, redirect: 'manual' });
      const body = (await response.json()) as { error: string };
      expect(response.status, `${path}: ${JSON.stringify(body)}`).toBe(401);
      expect(body.error).toBe('unauthenticated');
      // Nothing sets a session (clearing a bad cookie would be fine, setting one is not).
      for (const header of setCookiesNamed(response, 'portcullis')) expect(header).toMatch(/^portcullis=;/);
    }
  });
  expect(arena.stack.api.requests).toEqual([]);
}

const flipCase = (s: string) => s.replace(/[a-z]/i, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
const toStdBase64 = (s: string) => s.replace(/-/g, '+').replace(/_/g, '/');

describe('forged and swapped cookies', () => {
  const cases: Array<[string, () => string]> = [
    ["alice's id with bob's MAC", () => `${alice.id}.${bob.mac}`],
    ["bob's id with alice's MAC", () => `${bob.id}.${alice.mac}`],
    ['MAC with one letter case-flipped', () => `${alice.id}.${flipCase(alice.mac)}`],
    ['MAC re-encoded as standard base64 with padding', () => `${alice.id}.${toStdBase64(alice.mac)}=`],
    ['MAC with "=" padding appended', () => `${alice.id}.${alice.mac}=`],
    ['MAC as hex instead of base64url', () => `${alice.id}.${Buffer.from(alice.mac, 'base64url').toString('hex')}`],
    ['id and MAC swapped', () => `${alice.mac}.${alice.id}`],
    ['id with a trailing NUL', () => `${alice.id}%00.${alice.mac}`],
    ['id case-flipped, MAC kept', () => `${flipCase(alice.id)}.${alice.mac}`],
    [
      'signed by another deployment (its own key)',
      () => {
        const id = randomBytes(32).toString('base64url');
        return `${id}.${createHmac('sha256', randomBytes(32).toString('base64url')).update(id).digest('base64url')}`;
      },
    ],
    ["alice's id, MAC computed with an empty key", () => `${alice.id}.${createHmac('sha256', '').update(alice.id).digest('base64url')}`],
    ["alice's id, MAC of another message (the id with a prefix)", () => `${alice.id}.${createHmac('sha256', 'x').update(`portcullis:${alice.id}`).digest('base64url')}`],
  ];

  it.each(cases)('%s → anonymous', async (_name, make) => {
    await expectAnonymous(`portcullis=${make()}`);
  });

  it('the login-binding cookie replayed as the session cookie → anonymous', async () => {
    const client = new BffClient(arena.baseUrl);
    await client.fetch('/bff/login', { csrf: false });
    const binding = client.jar.get(arena.baseUrl, 'portcullis-login')!;
    expect(binding).toMatch(/^[\w-]{43}$/);
    await expectAnonymous(`portcullis=${binding}`);
    await expectAnonymous(`portcullis=${binding}.${alice.mac}`);
  });

  it('a garbage duplicate placed before the real cookie makes the request anonymous, never another session', async () => {
    await expectAnonymous(`portcullis=${'A'.repeat(43)}.${bob.mac}; portcullis=${alice.value}`);
  });
});

describe('cookies of destroyed sessions', () => {
  it('after logout: anonymous, and the old id is never re-created', async () => {
    const tab = new BffClient(arena.baseUrl);
    await tab.login('alice');
    const value = tab.sessionCookie()!;
    const logoutUrl = (await tab.user()).body['logoutUrl'] as string;
    expect((await tab.fetch(logoutUrl, { csrf: false })).status).toBe(302);
    await expectAnonymous(`portcullis=${value}`);
    expect(await arena.store.get(value.split('.')[0]!)).toBeUndefined();
  });

  it('after back-channel logout: anonymous', async () => {
    const tab = new BffClient(arena.baseUrl);
    await tab.login('alice');
    const value = tab.sessionCookie()!;
    const { sid, sub } = (await authOf(arena.stack.bff, tab))!;
    const token = await arena.stack.provider.signJwt(
      { aud: arena.stack.client.id, jti: crypto.randomUUID(), sid, sub, exp: Math.floor(Date.now() / 1000) + 120, events: EVENT },
      { typ: 'logout+jwt' },
    );
    const response = await fetch(`${arena.baseUrl}/bff/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }),
    });
    expect(response.status).toBe(200);
    await eventually(async () => (await arena.store.get(value.split('.')[0]!)) === undefined);
    await expectAnonymous(`portcullis=${value}`);
  });

  it('after the provider revoked the grant (refresh refused): anonymous', async () => {
    const tab = new BffClient(arena.baseUrl);
    await tab.login('alice');
    const value = tab.sessionCookie()!;
    const auth = (await authOf(arena.stack.bff, tab))!;
    // Revoke at the provider, then force a refresh: the session ends.
    const basic = Buffer.from(`${encodeURIComponent(arena.stack.client.id)}:${encodeURIComponent(arena.stack.client.secret)}`).toString('base64');
    const revoked = await fetch(`${arena.stack.provider.issuer}/token/revocation`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: auth.tokens.refreshToken!, token_type_hint: 'refresh_token' }),
    });
    expect(revoked.status).toBe(200);
    await expireAccessToken(arena.stack.bff, tab);
    const ended = await tab.fetch('/api/todos');
    expect(ended.status).toBe(401);
    expect(((await ended.json()) as { error: string }).error).toBe('session_expired');
    await expectAnonymous(`portcullis=${value}`);
  });
});

describe('oversized and malformed cookies', () => {
  it('a 4 KiB session cookie value → anonymous', async () => {
    await expectAnonymous(`portcullis=${alice.value}${'A'.repeat(4096)}`);
  });

  it('a 12 KiB Cookie header of many cookies with the real one last → anonymous or the real session, never a crash', async () => {
    const filler = Array.from({ length: 300 }, (_, i) => `c${i}=${'x'.repeat(32)}`).join('; ');
    const before = await arena.snapshot();
    const response = await fetch(new URL('/bff/user', arena.baseUrl), { headers: { cookie: `${filler}; portcullis=${alice.value}`, 'x-csrf': '1' } });
    expect([200, 401]).toContain(response.status);
    if (response.status === 200) expect(((await response.json()) as { sub: string }).sub).toBe('alice');
    await arena.expectUntouched(before);
    await arena.expectHealthy();
  });

  it('a 20 KiB cookie → 431 from Node before the BFF runs, connection closed', async () => {
    const exchange = await arena.guard(() => rawHttp(arena.baseUrl, `GET /bff/user HTTP/1.1\r\nHost: localhost\r\nX-CSRF: 1\r\nCookie: portcullis=${alice.value}${'A'.repeat(20 * 1024)}\r\n\r\n`));
    expect(exchange.status).toBe(431);
    expect(exchange.closedByServer).toBe(true);
  });

  it('cookie values with separators and control-looking bytes → anonymous', async () => {
    for (const value of [`${alice.id}..${alice.mac}`, `.${alice.mac}`, `${alice.id}.`, `"${alice.value}x"`]) {
      await expectAnonymous(`portcullis=${value}`);
    }
  });
});

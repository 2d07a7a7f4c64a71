/**
 * Attack suite: open redirects through `returnTo` on /bff/login and
 * /bff/logout (RFC 9700 §4.11, OIDC Core §3.1.2.1: never redirect to an
 * unchecked URL).
 *
 * The rule under attack (src/return-to.ts): a same-origin path that starts
 * with exactly one ASCII "/", without "//", "\", control characters or a
 * scheme, also after one percent-decoding. The BFF then redirects to the
 * ABSOLUTE URL `${baseUrl}${returnTo}`, so the authority is fixed before any
 * attacker byte: what follows the first "/" can only be path, query or
 * fragment.
 *
 * Unicode look-alikes (fullwidth solidus U+FF0F, fullwidth reverse solidus
 * U+FF3C, division slash U+2215, small reverse solidus U+FE68, NBSP,
 * ideographic space): browsers parse a Location with the WHATWG URL parser,
 * which treats only ASCII "/" (and "\" for http/https) as path separators and
 * percent-encodes every other code point of a path. Their IDNA mapping
 * (U+FF0F → "/") runs in HOST parsing only, and the host here is the fixed
 * `baseUrl`. So `/／／evil.com` is a harmless same-origin path
 * (`/%EF%BC%8F%EF%BC%8Fevil.com`) and is accepted; a value that starts with a
 * look-alike instead of an ASCII "/" (`／／evil.com`) is not a path at all
 * and is refused. The accepted ones are walked through a real login and a
 * real logout, and the resulting Location is parsed with WHATWG URL, as a
 * browser would.
 *
 * Every refusal: 400 (431 when Node refuses the oversized request line), no
 * Location, no Set-Cookie (no login state or binding cookie, the session
 * cookie not cleared), no session record created or changed, and a normal
 * signed-in /bff/user still answers 200.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BffClient } from '../helpers/bff-client.ts';
import { startArena, type Arena } from '../helpers/attack.ts';

let arena: Arena;
let victim: BffClient;
let victimSid: string;

beforeAll(async () => {
  arena = await startArena();
  victim = new BffClient(arena.baseUrl);
  await victim.login('alice');
  const logoutUrl = (await victim.user()).body['logoutUrl'] as string;
  victimSid = new URL(logoutUrl, arena.baseUrl).searchParams.get('sid')!;
});
afterAll(() => arena?.stop());

/** Values refused everywhere, as the decoded query parameter (sent percent-encoded). */
const refused: Array<[string, string]> = [
  ['absolute https URL', 'https://evil.com'],
  ['absolute URL, upper-case scheme', 'HTTPS://evil.com/'],
  ['scheme without slashes', 'http:evil.com'],
  ['protocol-relative', '//evil.com'],
  ['protocol-relative with a path', '//evil.com/todos'],
  ['four slashes', '////evil.com'],
  ['slash backslash', '/\\evil.com'],
  ['two backslashes', '\\\\evil.com'],
  ['slash, two encoded backslashes (/%5c%5cevil)', '/%5c%5cevil.com'],
  ['slash, encoded backslash, slash', '/%5C/evil.com'],
  ['encoded slashes (/%2F%2Fevil)', '/%2F%2Fevil.com'],
  ['encoded leading slashes', '%2F%2Fevil.com'],
  ['dot segment then // (/.//evil)', '/.//evil.com'],
  ['dot-dot segment then //', '/..//evil.com'],
  ['encoded dot then //', '/%2e//evil.com'],
  ['javascript: URL', 'javascript:alert(document.cookie)'],
  ['javascript: with a leading slash and //', '/javascript://%0aalert(1)'],
  ['data: URL', 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='],
  ['vbscript: URL', 'vbscript:msgbox(1)'],
  ['tab between slashes', '/\t/evil.com'],
  ['newline between slashes', '/\n/evil.com'],
  ['CRLF (header injection)', '/\r\nSet-Cookie: portcullis=x'],
  ['leading tab', '\t//evil.com'],
  ['leading space', ' //evil.com'],
  ['encoded tab between slashes (%09)', '/%09/evil.com'],
  ['encoded newline between slashes (%0a)', '/%0a/evil.com'],
  ['NUL', '/\u0000//evil.com'],
  ['C1 control (NEL)', '/\u0085/evil.com'],
  ['fullwidth solidus instead of slashes', '\uFF0F\uFF0Fevil.com'],
  ['fullwidth reverse solidus instead of slashes', '\uFF3C\uFF3Cevil.com'],
  ['relative path', 'evil.com'],
  ['userinfo trick', '@evil.com'],
  ['dot-relative', './/evil.com'],
  ['encoded NUL', '/%00'],
  ['broken percent-encoding', '/%E0%A4%A'],
  ['just over 2048 characters', `/${'a'.repeat(2048)}`],
  ['8 KiB', `/${'b'.repeat(8 * 1024)}`],
  // Conservative by design: "//" anywhere is refused, even where it could not change the origin.
  ['query holding a raw URL (// anywhere)', '/todos?next=https://evil.com'],
];

/** Same-origin paths that only look dangerous: accepted, and must land on baseUrl. */
const harmless: Array<[string, string]> = [
  ['fullwidth solidi after a real slash (/／／evil.com)', '/\uFF0F\uFF0Fevil.com'],
  ['fullwidth reverse solidi after a real slash', '/\uFF3C\uFF3Cevil.com'],
  ['division slashes', '/\u2215\u2215evil.com'],
  ['small reverse solidus', '/\uFE68evil.com'],
  ['NBSP between slash and host', '/\u00A0/evil.com'],
  ['ideographic space', '/\u3000/evil.com'],
  ['double-encoded slashes (decoded once by the BFF)', '/%252F%252Fevil.com'],
  ['at-sign path', '/@evil.com'],
  ['javascript: as a path segment', '/javascript:alert(1)'],
  ['query holding an encoded URL', '/todos?next=https%3A%2F%2Fevil.com'],
  ['fragment holding an encoded //', '/todos#/%2F/evil.com'],
];

/** Location as a browser would resolve it (WHATWG URL against an unrelated base). */
const resolved = (location: string | null): URL => {
  expect(location, 'a Location header').toBeTruthy();
  expect(location).not.toMatch(/[\u0000-\u001f\u007f]/);
  return new URL(location!, 'https://unrelated.invalid/');
};

describe('returnTo on /bff/login', () => {
  it.each(refused)('refuses %s', async (_name, value) => {
    const client = new BffClient(arena.baseUrl);
    const response = await arena.guard(() => client.fetch(`/bff/login?returnTo=${encodeURIComponent(value)}`, { csrf: false }));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('refuses a 20 KiB returnTo at the HTTP layer (431), with nothing stored', async () => {
    const client = new BffClient(arena.baseUrl);
    const response = await arena.guard(() => client.fetch(`/bff/login?returnTo=/${'c'.repeat(20 * 1024)}`, { csrf: false }));
    expect(response.status).toBe(431);
    expect(response.headers.get('location')).toBeNull();
  });

  it.each(harmless)('accepts %s and lands on baseUrl after the real login', async (_name, value) => {
    const client = new BffClient(arena.baseUrl);
    // Stop at the first redirect onto the BFF's origin outside /bff/*: the callback's redirect to returnTo.
    const done = await client.login('alice', 'alice', value, (u) => u.origin === arena.baseUrl && !u.pathname.startsWith('/bff/'));
    expect(done.stopped).toBe(true);
    expect(new URL(done.visited.at(-1)!).pathname).toBe('/bff/callback');
    expect(resolved(done.response.headers.get('location')).origin).toBe(arena.baseUrl);
    expect((await client.user()).status).toBe(200);
  });
});

describe('returnTo on /bff/logout', () => {
  it.each(refused)('refuses %s without a session', async (_name, value) => {
    const client = new BffClient(arena.baseUrl);
    const response = await arena.guard(() => client.fetch(`/bff/logout?returnTo=${encodeURIComponent(value)}`, { csrf: false }));
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it.each(refused)('refuses %s with a live session and the right sid: the session stays', async (_name, value) => {
    const response = await arena.guard(() => victim.fetch(`/bff/logout?sid=${encodeURIComponent(victimSid)}&returnTo=${encodeURIComponent(value)}`, { csrf: false }));
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.getSetCookie()).toEqual([]);
    expect((await victim.user()).status).toBe(200);
  });

  it.each(harmless)('accepts %s without a session and redirects onto baseUrl', async (_name, value) => {
    const client = new BffClient(arena.baseUrl);
    const response = await arena.guard(() => client.fetch(`/bff/logout?returnTo=${encodeURIComponent(value)}`, { csrf: false }));
    expect(response.status).toBe(302);
    expect(resolved(response.headers.get('location')).origin).toBe(arena.baseUrl);
  });

  it('puts an accepted look-alike into post_logout_redirect_uri on baseUrl only (real logout)', async () => {
    const tab = new BffClient(arena.baseUrl);
    await tab.login('alice');
    const sid = new URL((await tab.user()).body['logoutUrl'] as string, arena.baseUrl).searchParams.get('sid')!;
    const response = await tab.fetch(`/bff/logout?sid=${sid}&returnTo=${encodeURIComponent('/\uFF0F\uFF0Fevil.com')}`, { csrf: false });
    expect(response.status).toBe(302);
    const endSession = resolved(response.headers.get('location'));
    expect(endSession.origin).toBe(arena.stack.provider.issuer);
    const postLogout = endSession.searchParams.get('post_logout_redirect_uri')!;
    expect(new URL(postLogout).origin).toBe(arena.baseUrl);
    await arena.expectHealthy();
  });
});

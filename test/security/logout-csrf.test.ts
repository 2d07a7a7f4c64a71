/**
 * Attack suite: logout CSRF. `GET /bff/logout` is a top-level navigation, so
 * it cannot require `X-CSRF`; instead it needs `sid`, a random value bound to
 * the session and only readable through `/bff/user` (which needs `X-CSRF`).
 * A cross-site link, image or form cannot know it (OIDC RP-Initiated Logout
 * §2 leaves this to the RP; draft-ietf-oauth-browser-based-apps §6.1.3.2).
 *
 * Every refusal: 400 invalid_request, no redirect (neither to the provider's
 * end_session_endpoint nor anywhere else), the session cookie not cleared,
 * no session record changed, the refresh token not revoked, the process
 * still healthy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setCookiesNamed, startArena, type Arena } from '../helpers/attack.ts';
import { BffClient } from '../helpers/bff-client.ts';
import { loginAgain } from '../helpers/bff-harness.ts';
import { expireAccessToken } from '../helpers/sessions.ts';

let arena: Arena;
let victim: BffClient;
let victimSid: string;
let secondTab: BffClient;
let secondSid: string;
let formerSid: string;

const sidOf = async (tab: BffClient): Promise<string> => new URL((await tab.user()).body['logoutUrl'] as string, 'http://x').searchParams.get('sid')!;

beforeAll(async () => {
  arena = await startArena();
  victim = new BffClient(arena.baseUrl);
  await victim.login('alice');
  // The sid of the tab's previous session: a fresh login must rotate it.
  formerSid = await sidOf(victim);
  // The provider remembers alice: the second login may go straight through its session.
  await loginAgain(victim, 'alice');
  victimSid = await sidOf(victim);
  secondTab = new BffClient(arena.baseUrl);
  await secondTab.login('alice');
  secondSid = await sidOf(secondTab);
});
afterAll(() => arena?.stop());

const flipCase = (s: string) => s.replace(/[a-z]/i, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));

describe('logout without the right sid changes nothing', () => {
  const cases: Array<[string, () => string | undefined]> = [
    ['no sid', () => undefined],
    ['an empty sid', () => ''],
    ['a random sid of the right shape', () => 'A'.repeat(22)],
    ["the sid of the same user's other session", () => secondSid],
    ["the sid of another user's session", () => 'sentinel'],
    ["the sid of the tab's previous session (rotated at login)", () => formerSid],
    ['the sid with one letter case-flipped', () => flipCase(victimSid)],
    ['the sid truncated by one character', () => victimSid.slice(0, -1)],
    ['the sid with one character appended', () => `${victimSid}A`],
    ['the sid with a trailing space', () => `${victimSid} `],
    ['the session id from the cookie', () => victim.sessionCookie()!.split('.')[0]!],
    ['the whole session cookie value', () => victim.sessionCookie()!],
    ['a multi-byte string of half the length (same byte length)', () => 'é'.repeat(victimSid.length / 2)],
    ['a multi-byte string of the same length (more bytes)', () => 'é'.repeat(victimSid.length)],
    ['an emoji string of the same length', () => '😀'.repeat(victimSid.length / 2)],
  ];

  it.each(cases)('%s → 400, the session stays', async (name, make) => {
    let sid = make();
    if (name.includes("another user's")) sid = await sidOf(arena.sentinel);
    expect(sid).not.toBe(victimSid);
    const path = sid === undefined ? '/bff/logout' : `/bff/logout?sid=${encodeURIComponent(sid)}`;
    // As a cross-site navigation would arrive.
    const response = await arena.guard(() => victim.fetch(path, { csrf: false, headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' } }));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
    expect(response.headers.get('location')).toBeNull();
    expect(setCookiesNamed(response, 'portcullis')).toEqual([]);
    expect((await victim.user()).status).toBe(200);
  });

  it('the sid is not derivable from the cookie and differs per session', () => {
    const id = victim.sessionCookie()!.split('.')[0]!;
    expect(new Set([victimSid, secondSid, formerSid, id]).size).toBe(4);
    expect(victimSid).toMatch(/^[\w-]{22,}$/);
  });

  it('a sid array (sid given twice, the right one included) → 400', async () => {
    const response = await arena.guard(() => victim.fetch(`/bff/logout?sid=${victimSid}&sid=${victimSid}`, { csrf: false }));
    expect(response.status).toBe(400);
    expect(setCookiesNamed(response, 'portcullis')).toEqual([]);
  });

  it('none of the refusals revoked the refresh token: a refresh still works', async () => {
    await expireAccessToken(arena.stack.bff, victim);
    arena.stack.provider.resetCounts();
    expect((await victim.fetch('/api/todos')).status).toBe(200);
    expect(arena.stack.provider.grantCounts()['refresh_token']).toBe(1);
  });

  it("control: the right sid logs out this session only, the same user's other session stays", async () => {
    const response = await victim.fetch(`/bff/logout?sid=${encodeURIComponent(victimSid)}`, { csrf: false });
    expect(response.status).toBe(302);
    expect((await victim.user()).status).toBe(401);
    expect((await secondTab.user()).status).toBe(200);
    await arena.expectHealthy();
  });
});

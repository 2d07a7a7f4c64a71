/**
 * Attack suite: rate limiting of /bff/login and /bff/callback (each login
 * costs a provider round trip and a stored state). With
 * `rateLimit: { max: 3, windowSeconds: 60 }` the 4th login from one address
 * gets 429 with Retry-After and a JSON error, before any state is stored;
 * spoofed X-Forwarded-For does not reset the count (no `app.proxy`); other
 * addresses and other endpoints are unaffected. Requests come from distinct
 * loopback addresses (127.0.0.2, .3, .4) so that each case has its own
 * counter. A flood of login starts must not push signed-in users out of the
 * bounded session store either. Every case: no session record created or
 * changed, the process still healthy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawHttp, startArena, type Arena } from '../helpers/attack.ts';

const get = (arena: Arena, path: string, from: string, extra = '') => rawHttp(arena.baseUrl, `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}Connection: close\r\n\r\n`, { localAddress: from });

const bodyOf = (raw: string) => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
const header = (raw: string, name: string) => new RegExp(`\\r\\n${name}: ([^\\r\\n]*)`, 'i').exec(raw)?.[1];

describe('rateLimit { max: 3, windowSeconds: 60 }', () => {
  let arena: Arena;
  beforeAll(async () => {
    arena = await startArena({ bff: { rateLimit: { max: 3, windowSeconds: 60 } } });
  });
  afterAll(() => arena?.stop());

  it('the 4th login from one address gets 429 with Retry-After and JSON, and stores nothing', async () => {
    for (let i = 1; i <= 3; i++) {
      const ok = await arena.guard(() => get(arena, '/bff/login', '127.0.0.2'), { newStates: 1 });
      expect(ok.status, `login #${i}`).toBe(302);
    }
    for (const attempt of [4, 5]) {
      const refused = await arena.guard(() => get(arena, '/bff/login?returnTo=%2Fx', '127.0.0.2', 'Accept: text/html\r\n'));
      expect(refused.status, `login #${attempt}`).toBe(429);
      const retryAfter = Number(header(refused.raw, 'retry-after'));
      expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`).toBe(true);
      expect(header(refused.raw, 'content-type')).toMatch(/^application\/json/);
      expect(header(refused.raw, 'cache-control')).toBe('no-store');
      expect(bodyOf(refused.raw)).toEqual({ error: 'too_many_requests', error_description: expect.any(String) });
      expect(refused.raw).not.toMatch(/\r\nset-cookie:/i);
      expect(refused.raw).not.toMatch(/\r\nlocation:/i);
    }
  });

  it('spoofed X-Forwarded-For / X-Real-IP / Forwarded do not reset the count', async () => {
    for (const spoof of ['X-Forwarded-For: 198.51.100.1\r\n', 'X-Real-IP: 198.51.100.2\r\n', 'Forwarded: for=198.51.100.3\r\n', 'X-Forwarded-For: 127.0.0.3\r\n']) {
      const refused = await arena.guard(() => get(arena, '/bff/login', '127.0.0.2', spoof));
      expect(refused.status, spoof).toBe(429);
    }
  });

  it('another address is unaffected; /bff/user is not rate limited', async () => {
    const other = await arena.guard(() => get(arena, '/bff/login', '127.0.0.3'), { newStates: 1 });
    expect(other.status).toBe(302);
    const cookie = arena.sentinel.jar.cookieHeader(arena.baseUrl)!;
    for (let i = 0; i < 5; i++) {
      const user = await get(arena, '/bff/user', '127.0.0.2', `Cookie: ${cookie}\r\nX-CSRF: 1\r\n`);
      expect(user.status).toBe(200);
    }
  });

  it('the callback has its own counter: the 4th callback from one address gets 429 before any state lookup', async () => {
    for (let i = 1; i <= 3; i++) {
      const refused = await arena.guard(() => get(arena, `/bff/callback?code=x&state=${'s'.repeat(32)}`, '127.0.0.4'));
      expect(refused.status, `callback #${i}`).toBe(400);
    }
    const limited = await arena.guard(() => get(arena, `/bff/callback?code=x&state=${'s'.repeat(32)}`, '127.0.0.4'));
    expect(limited.status).toBe(429);
    expect(header(limited.raw, 'retry-after')).toMatch(/^\d+$/);
    // Logins from that address still have their own budget.
    const login = await arena.guard(() => get(arena, '/bff/login', '127.0.0.4'), { newStates: 1 });
    expect(login.status).toBe(302);
  });
});

describe('a custom limiter', () => {
  let arena: Arena;
  const keys: string[] = [];
  beforeAll(async () => {
    arena = await startArena({
      bff: {
        rateLimit: {
          async hit(key: string) {
            keys.push(key);
            // The sentinel's own login (first login and callback) passes; then only 127.0.0.5 is refused.
            return key.endsWith('127.0.0.5') ? { allowed: false, retryAfterSeconds: 42 } : { allowed: true, retryAfterSeconds: 0 };
          },
        },
      },
    });
  });
  afterAll(() => arena?.stop());

  it('is asked with "<endpoint>:<client address>" and its Retry-After is passed on', async () => {
    const refused = await arena.guard(() => get(arena, '/bff/login', '127.0.0.5'));
    expect(refused.status).toBe(429);
    expect(header(refused.raw, 'retry-after')).toBe('42');
    expect(keys.at(-1)).toBe('login:::ffff:127.0.0.5');
    expect(keys.filter((k) => k.startsWith('callback:'))).toHaveLength(1);
  });
});

describe('a flood of login starts against a bounded session store', () => {
  let arena: Arena;
  beforeAll(async () => {
    // A small store so the flood is short; the default holds 10 000 entries (about 170 addresses
    // at the default 60 logins a minute each, or one IPv6 /64, which has 2^64 addresses).
    arena = await startArena({}, { maxEntries: 20 });
  });
  afterAll(() => arena?.stop());

  it('never evicts signed-in sessions: anonymous login states must not push users out', async () => {
    for (let i = 0; i < 25; i++) {
      const started = await get(arena, '/bff/login', `127.0.1.${i + 1}`);
      expect(started.status).toBe(302);
    }
    const sessions = await arena.store.sessions();
    expect(sessions.size, 'the signed-in sentinel session is still stored').toBe(1);
    await arena.expectHealthy();
  });
});

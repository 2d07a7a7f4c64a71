/**
 * Attack suite: client-chosen addresses behind proxies (issue 12.1). Behind
 * an appending proxy (nginx's `$proxy_add_x_forwarded_for`, cloud load
 * balancers) the client writes the leftmost X-Forwarded-For entries. With
 * the hop count set (Koa `app.maxIpsCount`, `trustProxy: <hops>` in
 * `portcullis serve`), the rate limit keys on the entry the trusted proxy
 * wrote, and the entry the BFF appends for the API is the socket peer it
 * really talked to, never a value taken from the client's header.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startArena, startUpstream, type Arena, type Upstream } from '../helpers/attack.ts';

let arena: Arena;
let echo: Upstream;
beforeAll(async () => {
  echo = await startUpstream();
  arena = await startArena({
    proxyHops: 1,
    bff: ({ api }) => ({
      apis: [
        { path: '/api/todos', target: `${api.url}/todos`, token: 'user' },
        { path: '/api/echo', target: `${echo.url}/echo`, token: 'user' },
      ],
      rateLimit: { max: 10, windowSeconds: 60 },
    }),
  });
});
afterAll(async () => {
  await arena?.stop();
  await echo?.close();
});
beforeEach(() => echo.reset());

/** A login start as it arrives from one appending proxy: the client's header, then the address the proxy saw. */
const loginVia = (clientHeader: string, proxySaw: string) => fetch(`${arena.baseUrl}/bff/login`, { redirect: 'manual', headers: { 'x-forwarded-for': `${clientHeader}, ${proxySaw}` } });

describe('rate limit behind one appending proxy', () => {
  it('a rotating client-written X-Forwarded-For prefix does not buy more logins: 10 pass, then 429', async () => {
    const statuses: number[] = [];
    // The sentinel's login already used one of the window: use another "real" address.
    for (let i = 0; i < 15; i++) statuses.push((await loginVia(`10.0.0.${i}`, '203.0.113.9')).status);
    expect(statuses.filter((s) => s === 302)).toHaveLength(10);
    expect(statuses.slice(10)).toEqual(Array(5).fill(429));
  });

  it('another real address has its own window', async () => {
    expect((await loginVia('10.9.9.9', '203.0.113.10')).status).toBe(302);
  });
});

describe('the X-Forwarded-For entry the BFF appends for the API', () => {
  const cases: Array<[string, string]> = [
    ['a spoofed single entry', '6.6.6.6'],
    ['a spoofed chain', '6.6.6.6, 7.7.7.7, 203.0.113.9'],
    ['garbage', 'not-an-address'],
    ['an IPv6 literal', '2001:db8::1'],
  ];
  for (const [name, header] of cases) {
    it(`is the socket peer, whatever the client wrote (${name})`, async () => {
      const response = await arena.sentinel.fetch('/api/echo/x', { headers: { 'x-forwarded-for': header } });
      expect(response.status).toBe(200);
      const seen = String(echo.requests.at(-1)!.headers['x-forwarded-for']);
      const entries = seen.split(',').map((e) => e.trim());
      // The chain the trusted proxy passed on is kept; the last entry is the peer the BFF saw (loopback here).
      expect(entries.at(-1)).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
      expect(entries.slice(0, -1).join(', ')).toBe(header);
    });
  }
});

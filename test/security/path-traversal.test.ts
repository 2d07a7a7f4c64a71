/**
 * Attack suite: leaving the allowlisted proxy target (draft-ietf-oauth-
 * browser-based-apps §6.1: the BFF forwards only to the APIs it is
 * configured for). Requests are sent as raw bytes over TCP: fetch and
 * node:http would normalise `..` and `%2e%2e` away before the BFF saw them.
 *
 * The invariant is checked on what the upstreams actually received (the todo
 * API's `requests`, the echo upstream's raw request targets): every path,
 * normalised the way common servers do, stays under the route's target path
 * (`/todos`, `/echo`). Three normalisers: RFC 3986 (decode once, remove dot
 * segments), Servlet containers such as Tomcat 9 and Jetty (strip `;params`
 * from each segment first, then the same: the classic `/..;/` bypass), and
 * Windows/IIS (a decoded backslash is a separator).
 *
 * Known-bad spellings must be refused outright with 400 and reach nothing;
 * the rest may be refused, fall through to the app, or be forwarded, but
 * never outside the target. Every case also leaves the sessions untouched
 * and the process healthy.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rawHttp, type Arena, type Upstream, startEchoArena, type EchoArena } from '../helpers/attack.ts';

let arena: Arena;
let echo: Upstream;
let cookie: string;

let setup: EchoArena;
beforeAll(async () => {
  setup = await startEchoArena();
  ({ arena, echo, cookie } = setup);
});
afterAll(() => setup?.stop());
beforeEach(() => setup.reset());

type Normaliser = (raw: string) => string;

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};
const removeDots = (segments: string[]): string => {
  const out: string[] = [];
  for (const s of segments) {
    if (s === '..') out.pop();
    else if (s !== '.') out.push(s);
  }
  return `/${out.join('/')}`;
};
const pathOnly = (raw: string) => raw.split('?')[0]!.split('#')[0]!;

const normalisers: Record<string, Normaliser> = {
  'RFC 3986': (raw) => removeDots(pathOnly(raw).split('/').slice(1).map(decode)),
  'Servlet (;params stripped)': (raw) =>
    removeDots(
      pathOnly(raw)
        .split('/')
        .slice(1)
        .map((s) => decode(s.split(';')[0]!)),
    ),
  'Windows (\\ is a separator)': (raw) => removeDots(decode(pathOnly(raw)).replace(/\\/g, '/').split('/').slice(1)),
};

/** Every request the upstreams received stays under its target under every normaliser. */
function expectConfined(): void {
  const received = [...arena.stack.api.requests.map((r) => ({ target: '/todos', url: r.path })), ...echo.requests.map((r) => ({ target: '/echo', url: r.url }))];
  for (const { target, url } of received) {
    for (const [name, normalise] of Object.entries(normalisers)) {
      const path = normalise(url);
      expect(path === target || path.startsWith(`${target}/`), `${url} normalised by ${name} is ${path}, outside ${target}`).toBe(true);
    }
  }
}

const send = (path: string) => rawHttp(arena.baseUrl, `GET ${path} HTTP/1.1\r\nHost: localhost\r\nCookie: ${cookie}\r\nX-CSRF: 1\r\nConnection: close\r\n\r\n`);

/** Spellings that must be refused with 400 before any upstream is contacted. */
const refused = [
  '/api/todos/../../admin',
  '/api/todos/x/../../../admin',
  '/api/todos/%2e%2e/%2e%2e/admin',
  '/api/todos/%2E%2E%2F%2E%2E%2Fadmin',
  '/api/todos/.%2e/admin',
  '/api/todos/%2e/admin',
  '/api/todos/..%2f..%2fadmin',
  '/api/todos/..%5c..%5cadmin',
  '/api/todos/..\\..\\admin',
  '/api/todos/%5c%5cevil.com/x',
  '/api/todos//admin',
  '/api/todos///evil.com/x',
  '/api/todos/x%00',
  '/api/todos/%00/../admin',
  '/api/todos/..%00/admin',
  '/api/todos%2f..%2f..%2fadmin',
  '/api/todos%5c..%5cadmin',
  '/api/echo/../todos',
  '/api/echo/%2e%2e/todos',
  // Path parameters on dot segments: a Servlet container (Tomcat 9, Jetty) strips ";..." and sees "..".
  '/api/echo/..;/admin',
  '/api/echo/..;jsessionid=x/..;/admin',
  '/api/echo/x/..;/..;/admin',
  '/api/echo/.;/x',
];

/** Spellings that may be forwarded (or not), as long as they stay under the target. */
const confined = [
  '/api/echo/%252e%252e/%252e%252e/admin',
  '/api/echo/%252e%252e%252fadmin',
  '/api/echo/%25%32%65%25%32%65/admin',
  '/api/echo/%c0%ae%c0%ae/admin',
  '/api/echo/%u002e%u002e/admin',
  '/api/echo/%EF%BC%8E%EF%BC%8E/admin',
  '/api/echo/...',
  '/api/echo/..../admin',
  '/api/echo/x;/../admin',
  '/api/echo?/../../admin',
  '/api/echo/x?a=/../../admin&b=%2e%2e',
  '/api/echo#/../../admin',
  '/api/echo;/../admin',
  '/api/todos;/../admin',
  '/api/todos%3b/../admin',
  '/api/echo@evil.com/x',
  '/api/echo:80/../admin',
];

describe('path traversal out of the allowlisted target', () => {
  it.each(refused)('%s → 400, no upstream contacted', async (path) => {
    const exchange = await arena.guard(() => send(path));
    // Confinement first (the security property), then the exact refusal.
    expectConfined();
    expect(arena.stack.api.requests).toEqual([]);
    expect(echo.requests).toEqual([]);
    expect(exchange.status, exchange.raw.slice(0, 200)).toBe(400);
    expect(exchange.raw).toContain('"error":"invalid_request"');
  });

  it.each(confined)('%s → never outside the target', async (path) => {
    const exchange = await arena.guard(() => send(path));
    expect(exchange.status, 'an answer came').toBeDefined();
    expectConfined();
  });

  it('control: an ordinary nested path is forwarded verbatim below the target', async () => {
    const exchange = await send('/api/echo/a/b.c/d?x=1');
    expect(exchange.status).toBe(200);
    expect(echo.requests.map((r) => r.url)).toEqual(['/echo/a/b.c/d?x=1']);
    expectConfined();
  });
});

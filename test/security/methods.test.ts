/**
 * Attack suite: HTTP methods. Every /bff/* endpoint accepts only its own
 * methods and answers any other with 405 and an exact `Allow` header
 * (RFC 9110 §15.5.6), before any endpoint logic runs: a POST to /bff/user
 * returns no data, a DELETE to /bff/login starts no login, OPTIONS grants no
 * CORS. Methods Node's parser does not know, lower-case methods and CONNECT
 * never reach the BFF at all. Every case: the status, no login state, no
 * session record created or changed, the process still healthy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawHttp, startArena, type Arena } from '../helpers/attack.ts';

let arena: Arena;
let cookie: string;

beforeAll(async () => {
  arena = await startArena({ bff: ({ api }) => ({ diagnostics: true, apis: [{ path: '/api/todos', target: `${api.url}/todos`, token: 'user' }] }) });
  cookie = arena.sentinel.jar.cookieHeader(arena.baseUrl)!;
});
afterAll(() => arena?.stop());

const GET_HEAD = 'GET, HEAD';
const cases: Array<[string, string, string]> = [
  ['POST', '/bff/user', GET_HEAD],
  ['PUT', '/bff/user', GET_HEAD],
  ['DELETE', '/bff/user', GET_HEAD],
  ['PATCH', '/bff/user', GET_HEAD],
  ['OPTIONS', '/bff/user', GET_HEAD],
  ['TRACE', '/bff/user', GET_HEAD],
  ['DELETE', '/bff/login', GET_HEAD],
  ['POST', '/bff/login', GET_HEAD],
  ['PUT', '/bff/callback', GET_HEAD],
  ['POST', '/bff/callback', GET_HEAD],
  ['POST', '/bff/logout', GET_HEAD],
  ['DELETE', '/bff/logout', GET_HEAD],
  ['GET', '/bff/backchannel-logout', 'POST'],
  ['PUT', '/bff/backchannel-logout', 'POST'],
  ['TRACE', '/bff/backchannel-logout', 'POST'],
  ['POST', '/bff/diagnostics', GET_HEAD],
  ['TRACE', '/bff/diagnostics', GET_HEAD],
  // WebDAV and other registered methods Node parses.
  ['PROPFIND', '/bff/user', GET_HEAD],
  ['MKCOL', '/bff/login', GET_HEAD],
  ['PURGE', '/bff/user', GET_HEAD],
];

describe('wrong methods on /bff/* → 405 with Allow', () => {
  it.each(cases)('%s %s → 405, Allow: %s', async (method, path, allow) => {
    // Signed in, with X-CSRF and a same-origin Origin: only the method is wrong.
    const body = method === 'GET' ? '' : '{}';
    const exchange = await arena.guard(() =>
      rawHttp(
        arena.baseUrl,
        `${method} ${path}${path === '/bff/logout' ? '?sid=x' : ''} HTTP/1.1\r\nHost: localhost\r\nCookie: ${cookie}\r\nX-CSRF: 1\r\nOrigin: ${arena.baseUrl}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      ),
    );
    expect(exchange.status, exchange.raw.slice(0, 300)).toBe(405);
    expect(exchange.raw).toMatch(new RegExp(`\\r\\nallow: ${allow}\\r\\n`, 'i'));
    expect(exchange.raw).toContain('"error":"method_not_allowed"');
    // Nothing of the endpoint ran: no user data, no login redirect, no cookie, no CORS grant.
    expect(exchange.raw).not.toContain('"sub"');
    expect(exchange.raw).not.toMatch(/\r\nlocation:/i);
    expect(exchange.raw).not.toMatch(/\r\nset-cookie:/i);
    expect(exchange.raw).not.toMatch(/\r\naccess-control-/i);
  });
});

describe('methods that never reach the BFF', () => {
  it.each([
    ['an unknown method', 'FOO /bff/user HTTP/1.1'],
    ['a lower-case method', 'get /bff/user HTTP/1.1'],
    ['a method with a space inside', 'G ET /bff/user HTTP/1.1'],
    ['HTTP/2 preface on an HTTP/1 port', 'PRI * HTTP/2.0'],
  ])('%s → 400 from Node, connection closed', async (_name, requestLine) => {
    const exchange = await arena.guard(() => rawHttp(arena.baseUrl, `${requestLine}\r\nHost: localhost\r\nCookie: ${cookie}\r\nX-CSRF: 1\r\n\r\n`));
    expect(exchange.status).toBe(400);
    expect(exchange.closedByServer).toBe(true);
  });

  it('CONNECT (no connect listener) → the connection is closed, nothing tunnelled', async () => {
    const exchange = await arena.guard(() => rawHttp(arena.baseUrl, `CONNECT localhost:22 HTTP/1.1\r\nHost: localhost:22\r\n\r\nSSH-2.0-x\r\n`));
    expect(exchange.closedByServer).toBe(true);
    expect(exchange.raw).not.toContain('SSH');
    expect(exchange.status === undefined || exchange.status >= 400).toBe(true);
  });
});

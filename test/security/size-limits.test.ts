/**
 * Attack suite: oversized requests. Headers and request lines over Node's
 * 16 KiB limit are refused by Node itself (431) before the BFF runs; request
 * bodies over a route's `maxBodySize` get 413 (src/proxy/body-limit.ts),
 * whether declared with Content-Length (refused before anything is sent
 * upstream) or streamed chunked (cut off as soon as the count passes the
 * limit, and the upstream request aborted: the upstream never receives a
 * truncated body as if it were complete). The back-channel endpoint has its
 * own 16 KiB cap. Every case: the right status, nothing complete reaches an
 * upstream, no session record created or changed, the process still healthy.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rawHttp, type Arena, type Upstream, startEchoArena, type EchoArena } from '../helpers/attack.ts';

const LIMIT = 64;

let arena: Arena;
let echo: Upstream;
let cookie: string;

let setup: EchoArena;
beforeAll(async () => {
  setup = await startEchoArena((url: string) => [{ path: '/api/small', target: `${url}/small`, token: 'user', maxBodySize: LIMIT }]);
  ({ arena, echo, cookie } = setup);
});
afterAll(() => setup?.stop());
beforeEach(() => setup.reset());

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const head = (method: string, path: string, extra: string) =>
  `${method} ${path} HTTP/1.1\r\nHost: localhost\r\nCookie: ${cookie}\r\nX-CSRF: 1\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n${extra}\r\n`;
/** A chunked body: `body` cut into chunks of `size` bytes, then the last chunk. */
const chunked = (body: string, size: number) => {
  let out = '';
  for (let i = 0; i < body.length; i += size) {
    const piece = body.slice(i, i + size);
    out += `${piece.length.toString(16)}\r\n${piece}\r\n`;
  }
  return `${out}0\r\n\r\n`;
};
/** No upstream ever saw a completed request for `path` (aborted ones are fine: the body was cut). */
const nothingCompleted = () => {
  expect(
    echo.requests.filter((r) => r.outcome === 'completed'),
    'no upstream request completed',
  ).toEqual([]);
  expect(arena.stack.api.requests).toEqual([]);
};

describe('oversized headers and request lines → 431 from Node', () => {
  const big = 'x'.repeat(17 * 1024);
  const cases: Array<[string, string]> = [
    ['one 17 KiB header on /bff/user', `GET /bff/user HTTP/1.1\r\nHost: localhost\r\nCookie: ${'{cookie}'}\r\nX-CSRF: 1\r\nX-Big: ${big}\r\n\r\n`],
    [
      'many small headers adding up to 17 KiB on the proxy',
      `GET /api/echo/x HTTP/1.1\r\nHost: localhost\r\nCookie: ${'{cookie}'}\r\nX-CSRF: 1\r\n${Array.from({ length: 170 }, (_, i) => `X-H${i}: ${'y'.repeat(100)}\r\n`).join('')}\r\n`,
    ],
    ['a 17 KiB request line on the proxy', `GET /api/echo/${big} HTTP/1.1\r\nHost: localhost\r\nCookie: ${'{cookie}'}\r\nX-CSRF: 1\r\n\r\n`],
    ['a 17 KiB query on /bff/callback', `GET /bff/callback?state=${big} HTTP/1.1\r\nHost: localhost\r\n\r\n`],
    ['a 17 KiB Authorization header on the proxy (never forwarded)', `GET /api/echo/x HTTP/1.1\r\nHost: localhost\r\nCookie: ${'{cookie}'}\r\nX-CSRF: 1\r\nAuthorization: Bearer ${big}\r\n\r\n`],
  ];

  it.each(cases)('%s', async (_name, template) => {
    const exchange = await arena.guard(() => rawHttp(arena.baseUrl, template.replace('{cookie}', cookie)));
    expect(echo.requests).toEqual([]);
    expect(exchange.status).toBe(431);
    expect(exchange.closedByServer).toBe(true);
  });
});

describe(`request bodies over maxBodySize (${LIMIT} bytes) → 413`, () => {
  it('Content-Length one byte over the limit: 413 JSON, nothing sent upstream', async () => {
    const body = 'a'.repeat(LIMIT + 1);
    const exchange = await arena.guard(() => rawHttp(arena.baseUrl, `${head('POST', '/api/small/x', `Content-Length: ${body.length}\r\n`)}${body}`));
    expect(echo.requests).toEqual([]);
    expect(exchange.status).toBe(413);
    expect(exchange.raw).toContain('"error":"payload_too_large"');
  });

  it('a huge Content-Length without sending the body: 413 at once, nothing sent upstream', async () => {
    const exchange = await arena.guard(() => rawHttp(arena.baseUrl, head('PUT', '/api/small/x', 'Content-Length: 10737418240\r\n')));
    expect(echo.requests).toEqual([]);
    expect(exchange.status).toBe(413);
  });

  it('over the default 10 MiB limit on an ordinary route, declared: 413', async () => {
    const exchange = await arena.guard(() => rawHttp(arena.baseUrl, head('POST', '/api/echo/x', `Content-Length: ${10 * 1024 * 1024 + 1}\r\n`)));
    expect(echo.requests).toEqual([]);
    expect(exchange.status).toBe(413);
  });

  it('chunked, one chunk over the limit: 413, the upstream never gets a complete request', async () => {
    const body = 'b'.repeat(LIMIT + 1);
    const exchange = await arena.guard(() => rawHttp(arena.baseUrl, `${head('POST', '/api/small/x', 'Transfer-Encoding: chunked\r\n')}${chunked(body, body.length)}`));
    nothingCompleted();
    expect(exchange.status).toBe(413);
    expect(exchange.raw).toContain('"error":"payload_too_large"');
  });

  it('chunked, many small chunks that add up past the limit: 413, nothing complete upstream', async () => {
    const body = 'c'.repeat(LIMIT * 4);
    const exchange = await arena.guard(() => rawHttp(arena.baseUrl, `${head('PATCH', '/api/small/x', 'Transfer-Encoding: chunked\r\n')}${chunked(body, 7)}`));
    nothingCompleted();
    expect(exchange.status).toBe(413);
  });

  it('chunked 1 MiB stream against the small route: 413, nothing complete upstream', async () => {
    const body = 'd'.repeat(1024 * 1024);
    const exchange = await arena.guard(() => rawHttp(arena.baseUrl, `${head('POST', '/api/small/x', 'Transfer-Encoding: chunked\r\n')}${chunked(body, 1024)}`, { waitMs: 3000 }));
    nothingCompleted();
    expect(exchange.status).toBe(413);
  });

  it('control: exactly the limit, declared or chunked, arrives intact', async () => {
    const body = 'e'.repeat(LIMIT);
    const declared = await rawHttp(arena.baseUrl, `${head('POST', '/api/small/a', `Content-Length: ${LIMIT}\r\n`)}${body}`);
    expect(declared.status).toBe(200);
    const streamed = await rawHttp(arena.baseUrl, `${head('POST', '/api/small/b', 'Transfer-Encoding: chunked\r\n')}${chunked(body, 8)}`);
    expect(streamed.status).toBe(200);
    expect(echo.requests.map((r) => [r.url, r.outcome, r.size, r.sha256])).toEqual([
      ['/small/a', 'completed', LIMIT, sha(body)],
      ['/small/b', 'completed', LIMIT, sha(body)],
    ]);
  });
});

describe('the back-channel logout endpoint caps its body at 16 KiB', () => {
  const token = `logout_token=${'f'.repeat(17 * 1024)}`;

  it('declared: 400, nothing ended', async () => {
    const exchange = await arena.guard(() =>
      rawHttp(
        arena.baseUrl,
        `POST /bff/backchannel-logout HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${token.length}\r\nConnection: close\r\n\r\n${token}`,
      ),
    );
    expect(exchange.status).toBe(400);
  });

  it('chunked: 400, nothing ended', async () => {
    const exchange = await arena.guard(() =>
      rawHttp(
        arena.baseUrl,
        `POST /bff/backchannel-logout HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunked(token, 1000)}`,
      ),
    );
    expect(exchange.status).toBe(400);
  });
});

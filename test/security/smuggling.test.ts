/**
 * Attack suite: HTTP request smuggling, on both hops.
 *
 * Browser → BFF: ambiguous framing (Content-Length with Transfer-Encoding,
 * two lengths, non-final or unknown codings, obs-fold, bare CR/LF, bad chunk
 * sizes…) must be refused by Node's parser (llhttp, strict mode) with 400
 * and a closed connection, and nothing, least of all the request hidden in
 * the body, may reach an upstream (RFC 9112 §6.3, §11.2).
 *
 * BFF → upstream: the proxy drops the incoming `Transfer-Encoding` (a
 * hop-by-hop header) and must re-frame the body for the upstream. A chunked
 * body on GET, DELETE or OPTIONS must arrive as ONE request with that body;
 * if it were written unframed, its bytes would be parsed by the upstream as
 * a second request on a pooled keep-alive connection shared by all users
 * (outside the route's path prefix, and able to capture the next user's
 * request, bearer token included, as its body).
 *
 * Every case: the status, nothing smuggled upstream, no session record
 * created or changed, the process still healthy.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rawHttp, type Arena, type Upstream, startEchoArena, type EchoArena } from '../helpers/attack.ts';
import { BffClient } from '../helpers/bff-client.ts';
import { authOf } from '../helpers/sessions.ts';

let arena: Arena;
let echo: Upstream;
let attacker: BffClient;
let cookie: string;

let setup: EchoArena;
beforeAll(async () => {
  setup = await startEchoArena();
  ({ arena, echo } = setup);
  attacker = new BffClient(arena.baseUrl);
  await attacker.login('alice');
  cookie = attacker.jar.cookieHeader(arena.baseUrl)!;
});
afterAll(() => setup?.stop());
beforeEach(() => setup.reset());

const upstreamSaw = () => [...echo.requests.map((r) => `${r.method} ${r.url}`), ...arena.stack.api.requests.map((r) => `${r.method} ${r.path}`)];
/** The request hidden in each body: signed in and with X-CSRF, so only the framing stops it. */
const hidden = () => `GET /api/echo/SMUGGLED HTTP/1.1\r\nHost: localhost\r\nCookie: ${cookie}\r\nX-CSRF: 1\r\n\r\n`;
const head = (extra: string, path = '/api/echo/x') => `POST ${path} HTTP/1.1\r\nHost: localhost\r\nCookie: ${cookie}\r\nX-CSRF: 1\r\n${extra}`;
/**
 * What reached the upstream besides `POST /echo/x`: a framing case above may have its head
 * forwarded before the parser refuses its body, and under load the upstream can log it after the
 * next test began, so the tests below use paths of their own.
 */
const sawBesidesCases = () => upstreamSaw().filter((r) => r !== 'POST /echo/x');

describe('browser → BFF: ambiguous framing is refused by the parser (400, closed, nothing upstream)', () => {
  const cases: Array<[string, () => string]> = [
    ['Content-Length + Transfer-Encoding (CL.TE)', () => head(`Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${hidden()}`)],
    ['Transfer-Encoding + Content-Length (TE.CL)', () => head(`Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${hidden()}`)],
    ['two different Content-Length headers', () => head(`Content-Length: 0\r\nContent-Length: ${hidden().length}\r\n\r\n${hidden()}`)],
    ['two equal Content-Length headers', () => head(`Content-Length: 0\r\nContent-Length: 0\r\n\r\n${hidden()}`)],
    ['a Content-Length list', () => head(`Content-Length: 0, ${hidden().length}\r\n\r\n${hidden()}`)],
    ['Transfer-Encoding: chunked, identity (chunked not last)', () => head(`Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${hidden()}`)],
    ['Transfer-Encoding: identity', () => head(`Transfer-Encoding: identity\r\n\r\n0\r\n\r\n${hidden()}`)],
    ['Transfer-Encoding: xchunked', () => head(`Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${hidden()}`)],
    ['two Transfer-Encoding headers (chunked, identity)', () => head(`Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n${hidden()}`)],
    ['Transfer-Encoding chunked twice', () => head(`Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${hidden()}`)],
    ['space before the colon', () => head(`Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n${hidden()}`)],
    ['obs-fold line continuation', () => head(`Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n${hidden()}`)],
    ['vertical tab before the value', () => head(`Transfer-Encoding:\u000bchunked\r\n\r\n0\r\n\r\n${hidden()}`)],
    ['a header line starting with a space', () => head(` Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n${hidden()}`)],
    ['bare LF line endings', () => head(`Content-Length: 0\r\n\r\n`).replace(/\r\n/g, '\n') + hidden()],
    ['a bare CR inside the headers', () => head(`Content-Length: 0\rX-A: b\r\n\r\n${hidden()}`)],
    ['NUL inside a header value', () => head(`X-A: a\u0000b\r\nContent-Length: 0\r\n\r\n${hidden()}`)],
    ['Content-Length: -1', () => head(`Content-Length: -1\r\n\r\n${hidden()}`)],
    ['Content-Length: +5', () => head(`Content-Length: +5\r\n\r\n${hidden()}`)],
    ['Content-Length: 0x10', () => head(`Content-Length: 0x10\r\n\r\n${hidden()}`)],
    ['Content-Length with a space inside', () => head(`Content-Length: 1 0\r\n\r\n${hidden()}`)],
    ['chunk size overflow', () => head(`Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff1\r\nx\r\n0\r\n\r\n${hidden()}`)],
    ['invalid character in a chunk size', () => head(`Transfer-Encoding: chunked\r\n\r\n4x\r\nabcd\r\n0\r\n\r\n${hidden()}`)],
    ['bare LF in a chunk extension', () => head(`Transfer-Encoding: chunked\r\n\r\n4;a\nb\r\nabcd\r\n0\r\n\r\n${hidden()}`)],
    ['chunk data longer than its size', () => head(`Transfer-Encoding: chunked\r\n\r\n4\r\nabcdXX0\r\n\r\n${hidden()}`)],
    ['Transfer-Encoding on HTTP/1.0', () => head(`Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n${hidden()}`).replace('HTTP/1.1', 'HTTP/1.0')],
  ];

  it.each(cases)('%s', async (_name, bytes) => {
    const exchange = await arena.guard(() => rawHttp(arena.baseUrl, bytes(), { waitMs: 1000 }));
    expect(exchange.status, exchange.raw.slice(0, 120)).toBe(400);
    // Nothing at all: not the hidden request, and not the head of the faulty one either.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(upstreamSaw()).toEqual([]);
    expect(exchange.responses).toBe(1);
    expect(exchange.closedByServer).toBe(true);
  });

  it("the client's Connection: close is honoured after a proxied response (RFC 9112 §9.6)", async () => {
    const exchange = await arena.guard(() => rawHttp(arena.baseUrl, head('Content-Length: 2\r\nConnection: close\r\n\r\n{}', '/api/echo/close'), { graceMs: 500 }));
    expect(sawBesidesCases()).toEqual(['POST /echo/close']);
    expect(exchange.status).toBe(200);
    expect(exchange.raw, 'no keep-alive promised to a client that asked for close').not.toMatch(/\r\nconnection: keep-alive/i);
    expect(exchange.closedByServer).toBe(true);
  });

  it('a pipelined second request gets its own checks: without cookie and X-CSRF it is refused, not forwarded', async () => {
    const first = head('Content-Length: 2\r\n\r\n{}', '/api/echo/first');
    const second = 'GET /api/echo/second HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n';
    const exchange = await arena.guard(() => rawHttp(arena.baseUrl, first + second, { responses: 2 }));
    expect(sawBesidesCases()).toEqual(['POST /echo/first']);
    expect(exchange.responses).toBe(2);
    expect(exchange.raw).toMatch(/HTTP\/1\.1 200[\s\S]*HTTP\/1\.1 403/);
  });
});

describe('BFF → upstream: a chunked body is re-framed, never smuggled', () => {
  const send = async (method: string) => {
    const body = hidden().replace('/api/echo/SMUGGLED', '/echo/SMUGGLED');
    const bytes = `${method} /api/echo/x HTTP/1.1\r\nHost: localhost\r\nCookie: ${cookie}\r\nX-CSRF: 1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    let raw = '';
    await arena.guard(async () => {
      raw = (await rawHttp(arena.baseUrl, bytes)).raw;
      // Give a hidden request time to reach the upstream.
      await new Promise((resolve) => setTimeout(resolve, 150));
    });
    return { body, raw };
  };

  // Node's HTTP client sends bodies of these methods without chunked framing: the BFF refuses them.
  it.each(['GET', 'DELETE', 'OPTIONS'])('%s with a chunked body is refused with 411 and nothing reaches the upstream', async (method) => {
    const { raw } = await send(method);
    expect(raw).toMatch(/^HTTP\/1\.1 411 /);
    expect(upstreamSaw()).toEqual([]);
  });

  it.each(['POST', 'PATCH'])('%s with a chunked body reaches the upstream as one request carrying that body', async (method) => {
    const { body } = await send(method);
    // The hidden request must not exist upstream, and the real one must carry the whole body.
    expect(upstreamSaw()).toEqual([`${method} /echo/x`]);
    expect(echo.requests[0]).toMatchObject({ outcome: 'completed', size: body.length });
  });

  it('a Connection header naming content-length (or host) is refused with 400, and nothing reaches the upstream', async () => {
    const capture = 'POST /echo/capture HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 600\r\n\r\n';
    for (const named of ['content-length', 'Content-Length', 'host']) {
      const bytes = `GET /api/echo/x HTTP/1.1\r\nHost: localhost\r\nCookie: ${cookie}\r\nX-CSRF: 1\r\nContent-Length: ${capture.length}\r\nConnection: keep-alive, ${named}\r\n\r\n${capture}`;
      let raw = '';
      await arena.guard(async () => {
        raw = (await rawHttp(arena.baseUrl, bytes)).raw;
      });
      expect(raw, named).toMatch(/^HTTP\/1\.1 400 /);
      expect(upstreamSaw(), named).toEqual([]);
    }
  });

  it("a smuggled request cannot capture the next user's request (and its bearer token) on the pooled connection", async () => {
    // The victim is the arena's sentinel (bob); the attacker (alice) hides a POST whose
    // declared body is longer than what follows it: the upstream waits for the rest.
    const victimToken = (await authOf(arena.stack.bff, arena.sentinel))!.tokens.accessToken;
    const capture = 'POST /echo/capture HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 600\r\n\r\n';
    const bytes = `GET /api/echo/x HTTP/1.1\r\nHost: localhost\r\nCookie: ${cookie}\r\nX-CSRF: 1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${capture.length.toString(16)}\r\n${capture}\r\n0\r\n\r\n`;
    await rawHttp(arena.baseUrl, bytes, { waitMs: 500 });
    // The victim's next API call.
    const response = await arena.sentinel.fetch('/api/echo/victim-data');
    const answer = (await response.json().catch(() => ({}))) as { url?: string };
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Any upstream request other than the victim's own that carries the victim's token (or its first 200 characters).
    const leaks = (r: { body: string }) => r.body.includes(victimToken.slice(0, 200));
    const captured = echo.requests.filter((r) => leaks(r) || r.url.includes('capture'));
    expect(captured.map((r) => `${r.method} ${r.url} (body ${r.size} bytes${leaks(r) ? ", holding the victim's bearer token" : ''})`)).toEqual([]);
    expect(answer.url, "the victim gets its own response, not the smuggled request's").toBe('/echo/victim-data');
    await arena.expectHealthy();
  });
});

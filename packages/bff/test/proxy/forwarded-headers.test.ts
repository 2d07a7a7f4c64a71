/** rewriteHeaders and forwardedHeaders: what an upstream API receives of the browser's request headers. */
import type { IncomingHttpHeaders } from 'node:http';
import { beforeEach, describe, expect, it } from 'vitest';
import { forwardedHeaders, rewriteHeaders, type ForwardContext } from '../../src/proxy/forwarded-headers.ts';

const publicUrl = new URL('https://app.example.com');

/** Which of the two the tests run: the same rules, in place or as a new object. */
let mode: 'in place' | 'new object' = 'in place';

function rewrite(headers: IncomingHttpHeaders, forward: Partial<ForwardContext> = {}): IncomingHttpHeaders {
  const copy = { ...headers };
  const context = { accessToken: 'at-123', peerIp: '203.0.113.7', publicUrl, trustProxy: false, ...forward };
  if (mode === 'in place') {
    rewriteHeaders(copy, context);
    return copy;
  }
  const out = forwardedHeaders(copy, context);
  expect(copy, "the request's own headers are left alone").toEqual(headers);
  return out;
}

const browser: IncomingHttpHeaders = {
  host: 'app.example.com',
  cookie: 'portcullis=abc.def; _session=x',
  'x-csrf': '1',
  authorization: 'Bearer from-the-browser',
  'content-type': 'application/json',
  'content-length': '12',
  accept: 'application/json',
  'accept-language': 'en',
  'user-agent': 'test',
  'if-none-match': 'W/"1"',
};

describe.each(['in place', 'new object'] as const)('rewriteHeaders / forwardedHeaders (%s)', (which) => {
  beforeEach(() => {
    mode = which;
  });

  it("sets the bearer token and drops the browser's cookies, X-CSRF and Authorization", () => {
    const out = rewrite(browser);
    expect(out['authorization']).toBe('Bearer at-123');
    expect(out['cookie']).toBeUndefined();
    expect(out['x-csrf']).toBeUndefined();
  });

  it('sends no Authorization at all without a token (a browser-supplied one is not passed on)', () => {
    const out = rewrite(browser, { accessToken: undefined });
    expect(out).not.toHaveProperty('authorization');
  });

  it('keeps end-to-end headers (content type and length, accept, conditional requests, user agent)', () => {
    const out = rewrite(browser);
    for (const name of ['content-type', 'content-length', 'accept', 'accept-language', 'user-agent', 'if-none-match']) expect(out[name], name).toBe(browser[name]);
  });

  it('describes the public origin and the client in X-Forwarded-Host/Proto/For', () => {
    const out = rewrite(browser);
    expect(out['x-forwarded-host']).toBe('app.example.com');
    expect(out['x-forwarded-proto']).toBe('https');
    expect(out['x-forwarded-for']).toBe('203.0.113.7');
    expect(rewrite(browser, { publicUrl: new URL('http://localhost:3000') })['x-forwarded-host']).toBe('localhost:3000');
    expect(rewrite(browser, { publicUrl: new URL('http://localhost:3000') })['x-forwarded-proto']).toBe('http');
  });

  it('drops forwarding headers the browser claims when no proxy is trusted', () => {
    const out = rewrite({
      ...browser,
      'x-forwarded-for': '6.6.6.6',
      'x-forwarded-host': 'evil.com',
      'x-forwarded-proto': 'gopher',
      'x-forwarded-port': '1',
      'x-real-ip': '6.6.6.6',
      forwarded: 'for=6.6.6.6',
    });
    expect(out['x-forwarded-for']).toBe('203.0.113.7');
    expect(out['x-forwarded-host']).toBe('app.example.com');
    expect(out['x-forwarded-proto']).toBe('https');
    expect(out['x-forwarded-port']).toBeUndefined();
    expect(out['x-real-ip']).toBeUndefined();
    expect(out['forwarded']).toBeUndefined();
  });

  it("appends the client to a trusted proxy's X-Forwarded-For chain", () => {
    const out = rewrite({ ...browser, 'x-forwarded-for': '198.51.100.1, 198.51.100.2' }, { trustProxy: true, peerIp: '198.51.100.1' });
    expect(out['x-forwarded-for']).toBe('198.51.100.1, 198.51.100.2, 198.51.100.1');
    // Host and proto always describe the public origin, even behind a proxy.
    const behind = rewrite({ ...browser, 'x-forwarded-host': 'internal:8080', 'x-forwarded-proto': 'http' }, { trustProxy: true });
    expect(behind['x-forwarded-host']).toBe('app.example.com');
    expect(behind['x-forwarded-proto']).toBe('https');
  });

  it('drops hop-by-hop headers and the ones named in Connection', () => {
    const out = rewrite({
      ...browser,
      connection: 'keep-alive, X-Secret-Hop, Cookie2',
      'keep-alive': 'timeout=5',
      'proxy-authorization': 'Basic eA==',
      'proxy-connection': 'keep-alive',
      te: 'trailers',
      trailer: 'x',
      upgrade: 'h2c',
      'transfer-encoding': 'chunked',
      'x-secret-hop': 'leak',
      cookie2: 'x',
    });
    for (const name of ['connection', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'upgrade', 'transfer-encoding', 'x-secret-hop', 'cookie2']) {
      expect(out, name).not.toHaveProperty(name);
    }
  });

  it('keeps Connection and Upgrade for a WebSocket handshake, and strips the rest as for any call', () => {
    const handshake = { ...browser, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'k', 'keep-alive': 'timeout=5' };
    const out = rewrite(handshake, { upgrade: true });
    expect(out).toMatchObject({ connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'k', authorization: 'Bearer at-123' });
    expect(out['cookie']).toBeUndefined();
    expect(out['x-csrf']).toBeUndefined();
    expect(out['keep-alive']).toBeUndefined();
    const plain = rewrite(handshake);
    expect(plain['connection']).toBeUndefined();
    expect(plain['upgrade']).toBeUndefined();
  });
});

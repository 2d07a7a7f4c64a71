import { describe, expect, it } from 'vitest';
import { bffFetch, BffError, fetchSession } from '../src/bffFetch.js';
import { ANONYMOUS } from '../src/state.js';
import { json, session, stubFetch, unauthenticated } from './helpers.js';

const sent = (fn: ReturnType<typeof stubFetch>, i = 0) => {
  const [input, init] = fn.mock.calls[i]!;
  return { input, init: init!, headers: new Headers(init!.headers) };
};

describe('bffFetch', () => {
  it('adds X-CSRF and credentials to a string input and keeps caller headers and options', async () => {
    const fetch = stubFetch(() => json(200, { ok: true }));
    const res = await bffFetch('/api/todos', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
      credentials: 'omit',
    });
    expect(await res.json()).toEqual({ ok: true });
    const { input, init, headers } = sent(fetch);
    expect(input).toBe('/api/todos');
    expect(init.method).toBe('POST');
    expect(init.body).toBe('{}');
    expect(init.credentials).toBe('include');
    expect(headers.get('x-csrf')).toBe('1');
    expect(headers.get('content-type')).toBe('application/json');
  });

  it('accepts URL inputs, Headers objects and header arrays', async () => {
    const fetch = stubFetch(() => json(200, {}));
    await bffFetch(new URL('http://localhost/api/a'), { headers: new Headers({ 'X-A': 'a' }) });
    await bffFetch('/api/b', { headers: [['X-B', 'b']] });
    expect(sent(fetch, 0).input).toBeInstanceOf(URL);
    expect(sent(fetch, 0).headers.get('x-a')).toBe('a');
    expect(sent(fetch, 1).headers.get('x-b')).toBe('b');
    expect(sent(fetch, 1).headers.get('x-csrf')).toBe('1');
  });

  it("keeps a Request's own headers unless init.headers replaces them (fetch semantics)", async () => {
    const fetch = stubFetch(() => json(200, {}));
    const req = new Request('http://localhost/api/todos', { headers: { 'X-Trace': 't1' } });
    await bffFetch(req);
    await bffFetch(req, { headers: { 'X-Other': 'o' } });
    expect(sent(fetch, 0).input).toBe(req);
    expect(sent(fetch, 0).headers.get('x-trace')).toBe('t1');
    expect(sent(fetch, 0).headers.get('x-csrf')).toBe('1');
    expect(sent(fetch, 1).headers.get('x-trace')).toBeNull();
    expect(sent(fetch, 1).headers.get('x-other')).toBe('o');
    expect(sent(fetch, 1).init.credentials).toBe('include');
  });

  it('returns a 401 as is (no provider involved)', async () => {
    stubFetch(unauthenticated);
    const res = await bffFetch('/api/todos');
    expect(res.status).toBe(401);
  });
});

describe('fetchSession (internal)', () => {
  it('GETs {bffPath}/user with the CSRF header and credentials', async () => {
    const s = session();
    const fetch = stubFetch(() => json(200, s));
    expect(await fetchSession('/auth')).toEqual({ status: 'authenticated', session: s });
    expect(sent(fetch).input).toBe('/auth/user');
    expect(sent(fetch).init.credentials).toBe('include');
    expect(sent(fetch).headers.get('x-csrf')).toBe('1');
  });

  it('401 → anonymous', async () => {
    stubFetch(unauthenticated);
    expect(await fetchSession('/bff')).toBe(ANONYMOUS);
  });

  it('error JSON → BffError with status, code and description', async () => {
    stubFetch(() => json(403, { error: 'csrf', error_description: 'X-CSRF header required' }));
    const action = await fetchSession('/bff');
    if (action.status !== 'error') throw new Error('expected an error state');
    const error = action.error;
    expect(error).toBeInstanceOf(BffError);
    expect(error).toMatchObject({ status: 403, code: 'csrf', message: 'X-CSRF header required', name: 'BffError' });
  });

  it('non-JSON error page → BffError named after the status', async () => {
    stubFetch(() => new Response('<html>Bad gateway</html>', { status: 502 }));
    const action = await fetchSession('/bff');
    expect(action).toMatchObject({ status: 'error', error: { status: 502, code: 'http_502' } });
  });

  it('network failure → error', async () => {
    stubFetch(() => Promise.reject(new TypeError('Failed to fetch')));
    expect(await fetchSession('/bff')).toMatchObject({ status: 'error', error: { message: 'Failed to fetch' } });
  });

  it.each([
    ['invalid JSON', () => new Response('{not json', { status: 200 })],
    ['a body without sub', () => json(200, { claims: {} })],
    ['an off-site logoutUrl', () => json(200, session({ logoutUrl: 'https://evil.example/logout' }))],
    ['a protocol-relative logoutUrl', () => json(200, session({ logoutUrl: '//evil.example/logout' }))],
    ['a javascript: logoutUrl', () => json(200, session({ logoutUrl: 'javascript:alert(1)' }))],
  ])('200 with %s → invalid_response error', async (_, responder) => {
    stubFetch(responder);
    expect(await fetchSession('/bff')).toMatchObject({ status: 'error', error: { code: 'invalid_response', status: 200 } });
  });
});

/**
 * `GET /bff/login`: the authorization request, the returnTo rule (no open
 * redirect), the binding cookie, and the answers to refused requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BffClient } from '../support/client.ts';
import { startStack, type Stack } from '../support/harness.ts';
import { rawRequest, setCookiesFor } from '../support/http.ts';
import { authorizationUrl, loginFrom } from '../support/login.ts';
import { memoryStore } from '../support/session.ts';

let stack: Stack;
let discovery: { authorization_endpoint: string };

beforeAll(async () => {
  stack = await startStack();
  discovery = (await (await fetch(`${stack.provider.issuer}/.well-known/openid-configuration`)).json()) as typeof discovery;
});
afterAll(() => stack?.stop());

/** `/bff/login` with the query string given verbatim. */
const loginWithQuery = (client: BffClient, query: string, init: RequestInit = {}) => client.fetch(`/bff/login${query}`, { csrf: false, ...init });

describe('GET /bff/login', () => {
  it('redirects (302) to the authorization endpoint with every authorization-code + PKCE parameter', async () => {
    const client = new BffClient(stack.baseUrl);
    const response = await loginWithQuery(client, '?returnTo=%2Ftodos');
    expect(response.status).toBe(302);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(discovery.authorization_endpoint);
    const q = location.searchParams;
    expect(q.get('client_id')).toBe(stack.client.id);
    expect(q.get('redirect_uri')).toBe(`${stack.baseUrl}/bff/callback`);
    expect(q.get('response_type')).toBe('code');
    expect(q.get('scope')?.split(' ')).toEqual(expect.arrayContaining(['openid']));
    expect(q.get('state')).toMatch(/^[\w-]{16,}$/);
    expect(q.get('nonce')).toMatch(/^[\w-]{16,}$/);
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('code_challenge_method')).toBe('S256');
    for (const name of ['client_id', 'redirect_uri', 'response_type', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method']) {
      expect(q.getAll(name), name).toHaveLength(1);
    }
    // Nothing secret in the URL: no verifier, no returnTo, no secret.
    expect(location.href).not.toContain(stack.client.secret);
    // returnTo stays server-side: the provider never sees it.
    expect(location.searchParams.get('state')).not.toContain('todos');
    expect(location.href).not.toMatch(/returnTo|%2Ftodos|\/todos/i);
    expect(q.has('code_verifier')).toBe(false);
  });

  it('uses a fresh state, nonce and code_challenge for every login', async () => {
    const client = new BffClient(stack.baseUrl);
    const a = await authorizationUrl(client);
    const b = await authorizationUrl(client);
    for (const name of ['state', 'nonce', 'code_challenge']) expect(a.searchParams.get(name), name).not.toBe(b.searchParams.get(name));
  });

  it('sets an HttpOnly login-binding cookie and keeps the state server-side', async () => {
    const client = new BffClient(stack.baseUrl);
    const before = memoryStore(stack).size;
    const response = await loginWithQuery(client, '');
    expect(response.status).toBe(302);
    const binding = setCookiesFor(response, 'portcullis-login');
    expect(binding).toHaveLength(1);
    expect(binding[0]!.toLowerCase()).toContain('httponly');
    expect(binding[0]!.toLowerCase()).toContain('path=/');
    expect(memoryStore(stack).size).toBe(before + 1);
    // No session cookie before the login completes.
    expect(setCookiesFor(response, 'portcullis')).toHaveLength(0);
  });

  it('returns to the returnTo path (query included) after the login', async () => {
    const client = new BffClient(stack.baseUrl);
    const done = await client.login('alice', 'alice', '/todos/list?filter=open&page=2');
    expect(done.url).toBe(`${stack.baseUrl}/todos/list?filter=open&page=2`);
    // An encoded space in the query is an ordinary returnTo.
    const search = await new BffClient(stack.baseUrl).login('alice', 'alice', '/search?q=a%20b');
    expect(search.url).toBe(`${stack.baseUrl}/search?q=a%20b`);
  });

  it('defaults returnTo to "/" when absent or empty', async () => {
    expect((await new BffClient(stack.baseUrl).login('alice')).url).toBe(`${stack.baseUrl}/`);
    const empty = await loginFrom(new BffClient(stack.baseUrl), '/bff/login?returnTo=');
    expect(empty.url).toBe(`${stack.baseUrl}/`);
    expect(empty.response.status).toBe(200);
  });

  it('accepts a path of exactly 2048 characters', async () => {
    const response = await loginWithQuery(new BffClient(stack.baseUrl), `?returnTo=${encodeURIComponent(`/${'a'.repeat(2047)}`)}`);
    expect(response.status).toBe(302);
  });

  // Each value as it arrives at the BFF once the query string is decoded, and the raw query string sent.
  const refused: Array<[string, string]> = [
    ['absolute https URL', `?returnTo=${encodeURIComponent('https://evil.com')}`],
    ['absolute http URL, raw', '?returnTo=http://evil.com/'],
    ['protocol-relative //', `?returnTo=${encodeURIComponent('//evil.com')}`],
    ['protocol-relative ///', `?returnTo=${encodeURIComponent('///evil.com')}`],
    ['slash backslash', `?returnTo=${encodeURIComponent('/\\evil.com')}`],
    ['backslash slash', `?returnTo=${encodeURIComponent('\\/evil.com')}`],
    ['encoded backslash', `?returnTo=${encodeURIComponent('/%5Cevil.com')}`],
    ['encoded // (decodes to //)', `?returnTo=${encodeURIComponent('/%2F%2Fevil.com')}`],
    ['encoded // sent raw (decoded by the query parser)', '?returnTo=/%2F%2Fevil.com'],
    ['encoded leading slashes', `?returnTo=${encodeURIComponent('%2F%2Fevil.com')}`],
    ['javascript: URL', `?returnTo=${encodeURIComponent('javascript:alert(1)')}`],
    ['data: URL', `?returnTo=${encodeURIComponent('data:text/html,<script>alert(1)</script>')}`],
    ['tab between slashes (%09)', '?returnTo=/%09/evil.com'],
    ['encoded tab between slashes (%2509)', '?returnTo=/%2509/evil.com'],
    ['newline between slashes', '?returnTo=/%0A/evil.com'],
    ['carriage return', '?returnTo=/%0D/evil.com'],
    ['space', '?returnTo=/%20/evil.com'],
    ['NUL', '?returnTo=/%00'],
    ['http:/evil (one slash)', `?returnTo=${encodeURIComponent('http:/evil')}`],
    ['https:evil (no slash)', `?returnTo=${encodeURIComponent('https:evil.com')}`],
    ['relative path', `?returnTo=${encodeURIComponent('todos')}`],
    ['path containing //', `?returnTo=${encodeURIComponent('/a//evil.com')}`],
    ['/http://evil', `?returnTo=${encodeURIComponent('/http://evil.com')}`],
    ['malformed percent-encoding', `?returnTo=${encodeURIComponent('/%E0%A4%A')}`],
    ['longer than 2048', `?returnTo=${encodeURIComponent(`/${'a'.repeat(2048)}`)}`],
    ['very long', `?returnTo=${encodeURIComponent(`/${'a'.repeat(10_000)}`)}`],
    ['repeated returnTo', '?returnTo=%2Fa&returnTo=%2Fb'],
    ['repeated returnTo, one empty', '?returnTo=&returnTo=%2Fb'],
  ];

  it.each(refused)('refuses returnTo: %s → 400 before any redirect', async (_name, query) => {
    const client = new BffClient(stack.baseUrl);
    const before = memoryStore(stack).size;
    const response = await loginWithQuery(client, query);
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
    // Refused before anything happened: no login state, no binding cookie.
    expect(memoryStore(stack).size).toBe(before);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('refuses returnTo with a raw tab in the request line too (raw HTTP)', async () => {
    const response = await rawRequest(stack.baseUrl, '/bff/login?returnTo=/%09/evil.com');
    expect(response.status).toBe(400);
    expect(response.headers.location).toBeUndefined();
  });

  it('answers a refused returnTo with a readable HTML page when the browser asks for HTML', async () => {
    const response = await loginWithQuery(new BffClient(stack.baseUrl), `?returnTo=${encodeURIComponent('//evil.com')}`, {
      headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect(html).toContain('invalid_request');
    expect(html).not.toContain('evil.com');
  });

  it('answers 405 with Allow for another method', async () => {
    const response = await loginWithQuery(new BffClient(stack.baseUrl), '', { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toContain('GET');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ error: 'method_not_allowed', error_description: expect.any(String) });
  });
});

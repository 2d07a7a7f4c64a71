/**
 * Small helpers shared by the BFF integration tests: reading a tab's session
 * out of the BFF's own store (to compare against real tokens), counting
 * sessions, stopping a login just before its callback, raw HTTP requests
 * (fetch normalises `..` and `%2e%2e` away), and Set-Cookie parsing.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, createServer } from 'node:net';
import type { MemorySessionStore, TokenSet, UserSession } from '@portcullis/bff';
import type { DemoStack } from '@portcullis/demo/stack';
import { expect } from 'vitest';
import { authOf } from './sessions.ts';
import { BffClient, formAction } from './bff-client.ts';
import { browse, type BrowseResult } from './cookie-jar.ts';

/** The session cookie name with a plain-http localhost baseUrl. */
export const SESSION_COOKIE = 'portcullis';

/** The session id inside a tab's `portcullis` cookie (the part before the '.'). */
export function sessionIdOf(client: BffClient, name = SESSION_COOKIE): string | undefined {
  return client.sessionId(name);
}

/** The decrypted session record the BFF holds for `id` (undefined when gone). */
export async function sessionRecord(stack: DemoStack, id: string): Promise<UserSession | undefined> {
  return authOf(stack.bff, id);
}

/** The real tokens of a tab's session, read from the BFF's store. */
export async function tokensOf(stack: DemoStack, client: BffClient): Promise<TokenSet> {
  const id = sessionIdOf(client);
  expect(id, 'the tab has a session cookie').toBeTruthy();
  const auth = await sessionRecord(stack, id!);
  expect(auth, 'the store holds the session').toBeTruthy();
  return auth!.tokens;
}

/** Every raw token of a token set (access, ID, refresh). */
export function rawTokens(tokens: TokenSet): string[] {
  return [tokens.accessToken, tokens.idToken, tokens.refreshToken].filter((t): t is string => typeof t === 'string' && t.length > 0);
}

/** Fails when any raw token (or any of its dot-separated parts of 20+ chars) appears in `text`. */
export function expectNoTokenIn(text: string, tokens: TokenSet, where: string): void {
  for (const token of rawTokens(tokens)) {
    expect(text.includes(token), `${where} contains a raw token`).toBe(false);
    for (const part of token.split('.').filter((p) => p.length >= 20)) {
      expect(text.includes(part), `${where} contains part of a token`).toBe(false);
    }
  }
}

/** Status line, headers and body of a response, as one string (consumes the body). */
export async function dump(response: Response): Promise<string> {
  const headers = [...response.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n');
  return `${response.status}\n${headers}\n${response.headers.getSetCookie().join('\n')}\n\n${await response.text()}`;
}

/** The BFF's default in-memory store. */
export function memoryStore(stack: DemoStack): MemorySessionStore {
  return stack.bff.bff.store as MemorySessionStore;
}

/** Live sessions of `sub` in the BFF's store (the store indexes sessions by sub). */
export async function sessionsOf(stack: DemoStack, sub: string): Promise<string[]> {
  return memoryStore(stack).findIds({ sub });
}

/** The Set-Cookie header values of a response for cookie `name`. */
export function setCookiesFor(response: Response, name: string): string[] {
  return response.headers.getSetCookie().filter((c) => c.startsWith(`${name}=`));
}

/** A parsed Set-Cookie header: name, value and lower-cased attributes. */
export interface ParsedSetCookie {
  name: string;
  value: string;
  attributes: Map<string, string>;
}

export function parseSetCookie(header: string): ParsedSetCookie {
  const [pair = '', ...rest] = header.split(';');
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const part of rest) {
    const [k = '', ...v] = part.split('=');
    attributes.set(k.trim().toLowerCase(), v.join('=').trim());
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes };
}

/** The callback URL the provider sends the tab to, without following it. */
export async function loginUntilCallback(client: BffClient, user = 'alice', returnTo?: string): Promise<string> {
  const result = await client.login(user, user, returnTo, (u) => u.pathname === '/bff/callback');
  expect(result.stopped, 'the walk stopped at the callback').toBe(true);
  return result.url;
}

/**
 * Logs in whether or not the provider still shows its form (a second login in
 * the same tab goes straight through on the provider's own session).
 */
export async function loginAgain(client: BffClient, user = 'alice', returnTo?: string): Promise<BrowseResult> {
  const start = await client.navigate(`/bff/login${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''}`);
  if (start.response.status === 200) {
    const html = await start.response.text();
    if (html.includes('name="password"')) {
      return browse(client.jar, formAction(html, start.url), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ login: user, password: user }),
      });
    }
  }
  return start;
}

/** Logs in starting from `loginPath` (query given verbatim), submitting the provider's form. */
export async function loginFrom(client: BffClient, loginPath: string, user = 'alice', stopAt?: (url: URL) => boolean): Promise<BrowseResult> {
  const start = await client.navigate(loginPath);
  const html = await start.response.text();
  expect(html, `login form at ${start.url}`).toContain('name="password"');
  return browse(client.jar, formAction(html, start.url), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ login: user, password: user }),
    ...(stopAt ? { stopAt } : {}),
  });
}

/** The authorization URL `/bff/login` redirects to (the tab keeps the binding cookie). */
export async function authorizationUrl(client: BffClient, returnTo?: string): Promise<URL> {
  const response = await client.fetch(`/bff/login${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''}`, { csrf: false });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location')!);
}

/** A response read fully through node:http (the path is sent byte for byte, unlike fetch). */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Sends `path` verbatim (no URL normalisation) to `base`. */
export function rawRequest(base: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method: init.method ?? 'GET', path, headers: init.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A TCP port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  // Port 9 (discard) is privileged and never handed out for `listen(0)`: a port freed from an
  // ephemeral bind could be taken by the next test server before the test uses it (seen in CI).
  if (!(await accepts(9))) return 9;
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether something accepts TCP connections on localhost:`port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

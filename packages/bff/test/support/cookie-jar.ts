/**
 * A tiny cookie jar and a manual-redirect "browser" for integration tests that
 * drive OAuth flows with plain `fetch`.
 *
 * - Cookies are kept per host:port by default (each test server is its own
 *   site). Browsers do NOT isolate cookies by port: pass
 *   `new CookieJar({ shareAcrossPorts: true })` to reproduce that.
 * - `Secure` cookies are stored and sent over http://localhost / 127.0.0.1 / [::1]
 *   (as browsers treat localhost as a secure context); elsewhere they need https.
 * - Domain, Path, Max-Age and Expires are honoured; SameSite is recorded but not
 *   enforced (there is no "site for cookies" in a fetch-driven test).
 *
 * @example
 * const jar = new CookieJar();
 * const { response, url } = await browse(jar, authorizeUrl);          // follows redirects
 * const done = await browse(jar, formAction, { method: 'POST', body: new URLSearchParams({ login, password }),
 *   stopAt: (u) => u.pathname === '/callback' });                       // stops before the callback
 * done.url; // the callback URL with ?code=...
 */

export interface StoredCookie {
  name: string;
  value: string;
  /** Host the cookie belongs to (the request host, or the Domain attribute). */
  domain: string;
  /** True when no Domain attribute was given: only that exact host matches. */
  hostOnly: boolean;
  /** Port it was set from ('' when shared across ports). */
  port: string;
  path: string;
  /** Epoch ms; undefined = session cookie. */
  expires?: number;
  secure: boolean;
  httpOnly: boolean;
  sameSite?: string;
}

export interface CookieJarOptions {
  /** Behave like a browser: a cookie set by localhost:3000 is sent to localhost:4000 too. Default false. */
  shareAcrossPorts?: boolean;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function defaultPath(pathname: string): string {
  if (!pathname.startsWith('/')) return '/';
  const last = pathname.lastIndexOf('/');
  return last <= 0 ? '/' : pathname.slice(0, last);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

function domainMatches(host: string, cookie: StoredCookie): boolean {
  if (cookie.hostOnly) return host === cookie.domain;
  return host === cookie.domain || host.endsWith(`.${cookie.domain}`);
}

export class CookieJar {
  private cookies: StoredCookie[] = [];
  private readonly shareAcrossPorts: boolean;

  constructor(options: CookieJarOptions = {}) {
    this.shareAcrossPorts = options.shareAcrossPorts ?? false;
  }

  /** Stores one Set-Cookie header value received from `url`. */
  setCookie(header: string, url: string | URL): void {
    const from = new URL(url);
    const [pair = '', ...attributes] = header.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const cookie: StoredCookie = {
      name: pair.slice(0, eq).trim(),
      value: pair.slice(eq + 1).trim(),
      domain: from.hostname,
      hostOnly: true,
      port: this.shareAcrossPorts ? '' : from.port,
      path: defaultPath(from.pathname),
      secure: false,
      httpOnly: false,
    };
    let maxAge: number | undefined;
    for (const attribute of attributes) {
      const [rawKey = '', ...rest] = attribute.split('=');
      const key = rawKey.trim().toLowerCase();
      const value = rest.join('=').trim();
      if (key === 'path' && value.startsWith('/')) cookie.path = value;
      else if (key === 'domain' && value) {
        const domain = value.replace(/^\./, '').toLowerCase();
        if (from.hostname !== domain && !from.hostname.endsWith(`.${domain}`)) return; // foreign domain: reject
        cookie.domain = domain;
        cookie.hostOnly = false;
      } else if (key === 'max-age' && /^-?\d+$/.test(value)) maxAge = Number(value);
      else if (key === 'expires' && cookie.expires === undefined) {
        const at = Date.parse(value);
        if (!Number.isNaN(at)) cookie.expires = at;
      } else if (key === 'secure') cookie.secure = true;
      else if (key === 'httponly') cookie.httpOnly = true;
      else if (key === 'samesite') cookie.sameSite = value.toLowerCase();
    }
    if (maxAge !== undefined) cookie.expires = Date.now() + maxAge * 1000; // Max-Age wins over Expires
    this.cookies = this.cookies.filter((c) => !(c.name === cookie.name && c.domain === cookie.domain && c.path === cookie.path && c.port === cookie.port));
    if (cookie.expires === undefined || cookie.expires > Date.now()) this.cookies.push(cookie);
  }

  /** Stores every Set-Cookie header of a response received from `url`. */
  storeFrom(response: Response, url: string | URL): void {
    for (const header of response.headers.getSetCookie()) this.setCookie(header, url);
  }

  /** The cookies that would be sent to `url`, most specific path first. */
  cookiesFor(url: string | URL): StoredCookie[] {
    const to = new URL(url);
    const now = Date.now();
    this.cookies = this.cookies.filter((c) => c.expires === undefined || c.expires > now);
    const secureOk = to.protocol === 'https:' || LOCAL_HOSTS.has(to.hostname);
    return this.cookies
      .filter((c) => domainMatches(to.hostname, c) && (c.port === '' || c.port === to.port) && pathMatches(to.pathname, c.path) && (!c.secure || secureOk))
      .sort((a, b) => b.path.length - a.path.length);
  }

  /** The Cookie header value for `url`, or undefined when there is none. */
  cookieHeader(url: string | URL): string | undefined {
    const cookies = this.cookiesFor(url);
    return cookies.length ? cookies.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }

  /** Value of the named cookie as it would be sent to `url`. */
  get(url: string | URL, name: string): string | undefined {
    return this.cookiesFor(url).find((c) => c.name === name)?.value;
  }

  /** All stored (unexpired) cookies. */
  all(): StoredCookie[] {
    return this.cookies.filter((c) => c.expires === undefined || c.expires > Date.now()).map((c) => ({ ...c }));
  }

  clear(): void {
    this.cookies = [];
  }
}

export interface BrowseInit extends Omit<RequestInit, 'redirect'> {
  /** Stop before following a redirect to a URL for which this returns true. */
  stopAt?: (url: URL) => boolean;
  /** Default 20. */
  maxRedirects?: number;
}

export interface BrowseResult {
  /** The last response received (its body is unread). */
  response: Response;
  /**
   * The URL of the last response, or — when `stopAt` stopped the walk — the
   * redirect target that was not fetched.
   */
  url: string;
  /** True when `stopAt` ended the walk. */
  stopped: boolean;
  /** Every URL requested, in order. */
  visited: string[];
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Fetches `url` like a browser tab would: sends and stores cookies in `jar`,
 * follows redirects by hand (303, and 301/302 after a POST, become GET without
 * a body; 307/308 keep method and body) until a non-redirect response or `stopAt`.
 * The body of a 307/308 request must be re-sendable (string, URLSearchParams, ...).
 */
export async function browse(jar: CookieJar, url: string | URL, init: BrowseInit = {}): Promise<BrowseResult> {
  const { stopAt, maxRedirects = 20, ...requestInit } = init;
  let current = new URL(url);
  let method = (requestInit.method ?? 'GET').toUpperCase();
  let body = requestInit.body;
  const visited: string[] = [];

  for (let hop = 0; ; hop++) {
    const headers = new Headers(requestInit.headers);
    const cookie = jar.cookieHeader(current);
    if (cookie) headers.set('cookie', cookie);
    else headers.delete('cookie');
    if (body === undefined || body === null) headers.delete('content-type');

    visited.push(current.href);
    const response = await fetch(current, { ...requestInit, method, body, headers, redirect: 'manual' });
    jar.storeFrom(response, current);

    const location = response.headers.get('location');
    if (!REDIRECTS.has(response.status) || !location) {
      return { response, url: current.href, stopped: false, visited };
    }
    await response.body?.cancel();
    const next = new URL(location, current);
    if (stopAt?.(next)) return { response, url: next.href, stopped: true, visited };
    if (hop >= maxRedirects) throw new Error(`too many redirects (last: ${next.href})`);

    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
      method = method === 'HEAD' ? 'HEAD' : 'GET';
      body = undefined;
    }
    current = next;
  }
}

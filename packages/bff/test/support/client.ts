/**
 * A browser tab against one BFF origin, driven with plain fetch: a cookie jar
 * shared across ports (browsers do not isolate cookies by port, so the
 * provider's cookies and the BFF's live in one jar, as they would), and the
 * provider's login form submitted for real.
 *
 * The one tab class of the workspace: the root suites and the benchmarks
 * import it through `test/helpers/bff-client.ts`, which re-exports it.
 */
import { browse, CookieJar, type BrowseResult } from './cookie-jar.ts';

/** The form action on a provider page (login or logout confirmation). */
export function formAction(html: string, pageUrl: string): string {
  const match = /<form[^>]*action="([^"]+)"/.exec(html);
  if (!match) throw new Error('no form on the page');
  return new URL(match[1]!.replace(/&amp;/g, '&'), pageUrl).href;
}

/** A signed-in (or not) browser tab on one BFF origin. */
export class BffClient {
  readonly jar: CookieJar;
  constructor(
    readonly baseUrl: string,
    jar?: CookieJar,
  ) {
    this.jar = jar ?? new CookieJar({ shareAcrossPorts: true });
  }

  /** A new tab on `baseUrl`, already logged in as `user` (password = user name). */
  static async signedIn(baseUrl: string, user = 'alice'): Promise<BffClient> {
    const tab = new BffClient(baseUrl);
    await tab.login(user);
    return tab;
  }

  /** Fetch on the BFF origin with this tab's cookies; `csrf` adds `X-CSRF: 1` (default true). */
  async fetch(path: string, init: RequestInit & { csrf?: boolean } = {}): Promise<Response> {
    const { csrf = true, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (csrf) headers.set('x-csrf', '1');
    const url = new URL(path, this.baseUrl);
    const cookie = this.jar.cookieHeader(url);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(url, { ...rest, headers, redirect: 'manual' });
    this.jar.storeFrom(response, url);
    return response;
  }

  /** Follows redirects from `path` like a navigation. */
  navigate(path: string, init: Parameters<typeof browse>[2] = {}): Promise<BrowseResult> {
    return browse(this.jar, new URL(path, this.baseUrl), init);
  }

  /**
   * Logs in through `/bff/login` and the provider's form; returns the walk
   * that ends on the application after the callback (or wherever `stopAt` stops).
   */
  async login(user = 'alice', password = user, returnTo?: string, stopAt?: (url: URL) => boolean): Promise<BrowseResult> {
    const start = await this.navigate(`/bff/login${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''}`);
    const html = await start.response.text();
    if (start.response.status !== 200 || !html.includes('name="password"')) throw new Error(`expected the login form, got ${start.response.status} at ${start.url}`);
    return browse(this.jar, formAction(html, start.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login: user, password }),
      ...(stopAt ? { stopAt } : {}),
    });
  }

  /** `GET /bff/user` parsed, with the status. */
  async user(): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await this.fetch('/bff/user');
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** The session id inside the session cookie (`<id>.<mac>`), if there is one. */
  sessionId(name = 'portcullis'): string | undefined {
    return this.sessionCookie(name)?.split('.')[0];
  }

  /** The value of the BFF session cookie, if any. */
  sessionCookie(name = 'portcullis'): string | undefined {
    return this.jar.get(this.baseUrl, name);
  }
}

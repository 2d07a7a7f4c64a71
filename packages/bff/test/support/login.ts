/**
 * Login walks that stop or start somewhere other than `BffClient.login`:
 * up to the callback (not delivered), a second login on the provider's own
 * session, a login from a hand-written `/bff/login` query, and the
 * authorization URL alone.
 */
import { expect } from 'vitest';
import { formAction, type BffClient } from './client.ts';
import { browse, type BrowseResult } from './cookie-jar.ts';

/** The callback URL the provider sends the tab to, without following it. */
export async function loginUntilCallback(client: BffClient, user = 'alice', returnTo?: string): Promise<string> {
  const result = await client.login(user, user, returnTo, (u) => u.pathname === '/bff/callback');
  expect(result.stopped, 'the walk stopped at the callback').toBe(true);
  return result.url;
}

/** Submits the provider's login form on `page` as `user`. */
function submitLogin(client: BffClient, html: string, pageUrl: string, user: string, stopAt?: (url: URL) => boolean): Promise<BrowseResult> {
  return browse(client.jar, formAction(html, pageUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ login: user, password: user }),
    ...(stopAt ? { stopAt } : {}),
  });
}

/**
 * Logs in whether or not the provider still shows its form (a second login in
 * the same tab goes straight through on the provider's own session).
 */
export async function loginAgain(client: BffClient, user = 'alice', returnTo?: string): Promise<BrowseResult> {
  const start = await client.navigate(`/bff/login${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''}`);
  if (start.response.status === 200) {
    const html = await start.response.text();
    if (html.includes('name="password"')) return submitLogin(client, html, start.url, user);
  }
  return start;
}

/** Logs in starting from `loginPath` (query given verbatim), submitting the provider's form. */
export async function loginFrom(client: BffClient, loginPath: string, user = 'alice', stopAt?: (url: URL) => boolean): Promise<BrowseResult> {
  const start = await client.navigate(loginPath);
  const html = await start.response.text();
  expect(html, `login form at ${start.url}`).toContain('name="password"');
  return submitLogin(client, html, start.url, user, stopAt);
}

/** The authorization URL `/bff/login` redirects to (the tab keeps the binding cookie). */
export async function authorizationUrl(client: BffClient, returnTo?: string): Promise<URL> {
  const response = await client.fetch(`/bff/login${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''}`, { csrf: false });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location')!);
}

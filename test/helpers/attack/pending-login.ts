/**
 * A login stopped just before its callback, with the state and nonce of its
 * authorization request: the callback attacks replay, swap or forge it.
 */
import { expect } from 'vitest';
import { formAction, type BffClient } from '../bff-client.ts';
import { authorizationUrl } from '../bff-harness.ts';
import { browse } from '../cookie-jar.ts';

/** A login stopped just before its callback. */
export interface PendingLogin {
  /** The callback URL the provider sent the browser to (absolute, on the BFF). */
  callbackUrl: string;
  /** The callback's path and query, for `client.fetch`. */
  callbackPath: string;
  state: string;
  nonce: string;
  code: string;
}

/** Starts a login in `client`, signs in at the provider as `user`, stops before the callback. */
export async function pendingLogin(client: BffClient, user = 'alice', returnTo?: string): Promise<PendingLogin> {
  const authorization = await authorizationUrl(client, returnTo);
  const atCallback = (u: URL) => u.pathname.endsWith('/bff/callback');
  const page = await browse(client.jar, authorization, { stopAt: atCallback });
  let done = page;
  // A tab already signed in at the provider goes straight to the callback, without the form.
  if (!page.stopped) {
    const html = await page.response.text();
    expect(html, 'the provider shows its login form').toContain('name="password"');
    done = await browse(client.jar, formAction(html, page.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login: user, password: user }),
      stopAt: atCallback,
    });
  }
  expect(done.stopped, 'the walk stopped at the callback').toBe(true);
  const callback = new URL(done.url);
  return {
    callbackUrl: callback.href,
    callbackPath: `${callback.pathname}${callback.search}`,
    state: authorization.searchParams.get('state')!,
    nonce: authorization.searchParams.get('nonce')!,
    code: callback.searchParams.get('code')!,
  };
}

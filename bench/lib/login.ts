/** A real signed-in session on a BFF target: BffClient walks the login form of the demo provider. */
import { BffClient } from '../../test/helpers/bff-client.ts';

export interface SignedIn {
  tab: BffClient;
  /** The `Cookie` request header value carrying the session. */
  cookie: string;
}

export async function signIn(baseUrl: string, user = 'alice', cookieName = 'portcullis'): Promise<SignedIn> {
  const tab = new BffClient(baseUrl);
  await tab.login(user);
  const value = tab.sessionCookie(cookieName);
  if (!value) throw new Error(`no ${cookieName} cookie after signing in at ${baseUrl}`);
  return { tab, cookie: `${cookieName}=${value}` };
}

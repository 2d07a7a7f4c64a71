/**
 * Test access to the BFF's real session store: find a tab's session, read
 * its (decrypted) tokens, and age its access token so the next proxied call
 * must refresh.
 */
import type { BffMiddleware, UserSession } from '@portcullis/bff';
import type { BffClient } from './bff-client.ts';
import { internalsOf } from '../../packages/bff/src/internals.ts';

/** The session id inside the tab's session cookie (`<id>.<mac>`). */
export function sessionIdOf(tab: BffClient, cookieName = 'portcullis'): string {
  const id = tab.sessionId(cookieName);
  if (!id) throw new Error('the tab has no session cookie');
  return id;
}

/** The signed-in part of a session record (by tab or by id), tokens decrypted; undefined when gone. */
export async function authOf(bff: BffMiddleware, tabOrId: BffClient | string): Promise<UserSession | undefined> {
  const record = await internalsOf(bff).repository.get(typeof tabOrId === 'string' ? tabOrId : sessionIdOf(tabOrId));
  return record?.['auth'] as UserSession | undefined;
}

/** Marks the tab's access token as expired in the store (the provider still considers it valid). */
export async function expireAccessToken(bff: BffMiddleware, tab: BffClient): Promise<UserSession> {
  const id = sessionIdOf(tab);
  const record = await internalsOf(bff).repository.get(id);
  if (!record) throw new Error('no session record');
  const auth = record['auth'] as UserSession;
  auth.tokens.expiresAt = Math.floor(Date.now() / 1000) - 1;
  await internalsOf(bff).repository.set(id, record, 60_000);
  return auth;
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

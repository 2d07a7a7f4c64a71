/**
 * Test access to a BFF's real session store: a tab's session record and its
 * (decrypted) tokens, the sessions of a user, and checks that no raw token
 * leaks. Each takes anything with the BFF middleware as `bff` (the endpoint
 * harness's stack, or the demo stack of the root suites).
 */
import { expect } from 'vitest';
import type { BffMiddleware, MemorySessionStore, TokenSet, UserSession } from '../../src/index.ts';
import type { BffClient } from './client.ts';
import { internalsOf } from '../../src/internals.ts';

/** Anything that holds a BFF. */
export interface WithBff {
  bff: BffMiddleware;
}

/** The session cookie name with a plain-http localhost baseUrl. */
export const SESSION_COOKIE = 'portcullis';

/** The session id inside a tab's `portcullis` cookie (the part before the '.'). */
export function sessionIdOf(client: BffClient, name = SESSION_COOKIE): string | undefined {
  return client.sessionId(name);
}

/** The decrypted signed-in part of the session record `id` (undefined when gone). */
export async function sessionRecord(stack: WithBff, id: string): Promise<UserSession | undefined> {
  const record = await internalsOf(stack.bff).repository.get(id);
  return record?.['auth'] as UserSession | undefined;
}

/** The real tokens of a tab's session, read from the BFF's store. */
export async function tokensOf(stack: WithBff, client: BffClient): Promise<TokenSet> {
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

/** The BFF's default in-memory store. */
export function memoryStore(stack: WithBff): MemorySessionStore {
  return internalsOf(stack.bff).store as MemorySessionStore;
}

/** Live sessions of `sub` in the BFF's store (the store indexes sessions by sub). */
export async function sessionsOf(stack: WithBff, sub: string): Promise<string[]> {
  return memoryStore(stack).findIds({ sub });
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

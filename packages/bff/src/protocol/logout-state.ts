/**
 * The `state` of an end-session request: a fresh random value per logout,
 * stored server-side for ten minutes (like a login state) with the hash of a
 * binding value that the browser keeps in a short-lived `HttpOnly` cookie
 * (like the login binding). Some providers (Keycloak) only redirect back
 * with a `state`. The browser lands on `post_logout_redirect_uri`, the
 * application's own page, which does not read it: a `state` the BFF did not
 * issue changes nothing. {@link takeLogoutState} is there for a landing
 * endpoint that would.
 */
import { randomBytes } from 'node:crypto';
import type Koa from 'koa';
import type { SessionStore } from '../session/store.ts';
import { BINDING, bindingHash } from './login-binding.ts';
import { LOGIN_STATE_TTL_MS } from './state-store.ts';

/** How long a logout may take at the provider. */
export const LOGOUT_STATE_TTL_MS = LOGIN_STATE_TTL_MS;

/** Name of the logout-binding cookie for a session cookie name. */
export const logoutBindingCookieName = (sessionCookie: string): string => `${sessionCookie}-logout`;

const key = (state: string): string => `logout-state:${state}`;

/** Where the logout state lives and how its cookie is sent. */
export interface LogoutStateContext {
  store: SessionStore;
  sessionCookie: string;
  secure: boolean;
}

/** Creates and stores a state for one end-session request and sets the binding cookie; returns the state. */
export async function issueLogoutState(ctx: Koa.Context, where: LogoutStateContext, returnTo: string): Promise<string> {
  const cookie = logoutBindingCookieName(where.sessionCookie);
  const existing = ctx.cookies.get(cookie);
  const binding = existing && BINDING.test(existing) ? existing : randomBytes(32).toString('base64url');
  const state = randomBytes(32).toString('base64url');
  await where.store.set(key(state), { binding: bindingHash(binding), returnTo, at: Date.now() }, LOGOUT_STATE_TTL_MS);
  // Lax: the way back from the provider is a cross-site top-level navigation.
  ctx.cookies.set(cookie, binding, { httpOnly: true, secure: where.secure, sameSite: 'lax', path: '/', maxAge: LOGOUT_STATE_TTL_MS, overwrite: true, signed: false });
  return state;
}

/**
 * Consumes a logout state: its stored `returnTo` when it exists and is bound to this browser,
 * else `undefined` (unknown, expired, used, or started elsewhere).
 */
export async function takeLogoutState(ctx: Koa.Context, where: LogoutStateContext, state: string): Promise<string | undefined> {
  if (!BINDING.test(state)) return undefined;
  const record = where.store.take ? await where.store.take(key(state)) : await where.store.get(key(state));
  if (!where.store.take) await where.store.destroy(key(state));
  const binding = ctx.cookies.get(logoutBindingCookieName(where.sessionCookie));
  if (!record || !binding || record['binding'] !== bindingHash(binding) || typeof record['returnTo'] !== 'string') return undefined;
  return record['returnTo'];
}

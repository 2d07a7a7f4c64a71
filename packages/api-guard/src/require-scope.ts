/**
 * The `requireScope()` Koa middleware, for per-route scopes.
 *
 * @packageDocumentation
 */

import type { Middleware } from 'koa';

import type { AuthState } from './auth-info.ts';
import { InsufficientScope } from './errors.ts';
import { resolveScopes } from './options.ts';
import { guardOf, respondWithError } from './respond.ts';

/**
 * Creates Koa middleware that requires every given scope in the token
 * verified by an earlier {@link requireAccessToken}; otherwise it answers 403
 * `insufficient_scope` with `scope="<all given scopes>"`.
 *
 * @param scopes - Scope names (all required), validated now.
 * @throws TypeError when no scope or an invalid scope name is given.
 *
 * @example
 * ```ts
 * router.delete('/orders/:id', requireScope('orders:write'), deleteOrder);
 * ```
 */
export function requireScope(...scopes: [string, ...string[]]): Middleware<AuthState> {
  const required = resolveScopes(scopes, 'requireScope(...scopes)');
  if (required.length === 0) {
    throw new TypeError('api-guard: requireScope(...scopes) needs at least one scope name');
  }

  return async function requireScopeMiddleware(ctx, next) {
    const auth: unknown = ctx.state.auth;
    const guard = guardOf(auth);
    if (guard === undefined) {
      // A wiring mistake, not a client error: fail loudly (500).
      throw new Error('api-guard: requireScope() must run after requireAccessToken()');
    }
    if (!required.every((scope) => ctx.state.auth.scopes.includes(scope))) {
      respondWithError(ctx, new InsufficientScope(required), guard.realm);
      return;
    }
    await next();
  };
}

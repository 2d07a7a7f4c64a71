/**
 * The `requireScope()` Koa middleware, for per-route scopes.
 *
 * @packageDocumentation
 */

import type { Middleware } from 'koa';

import type { AuthState } from './auth-info.ts';
import { InsufficientScope } from './errors.ts';
import { scopeList } from './option-schemas.ts';
import { guardOf, respondWithError } from './respond.ts';
import { parseOptions } from './validate.ts';

const schema = scopeList.refine((scopes) => scopes.length > 0, 'needs at least one scope name');

/**
 * Creates Koa middleware that requires every given scope in the token
 * verified by an earlier {@link requireAccessToken}; otherwise it answers 403
 * `insufficient_scope` with `scope="<all given scopes>"`.
 *
 * @param scopes - Scope names (all required), validated now.
 * @throws ApiGuardOptionsError (a `TypeError`) when no scope or an invalid scope name is given.
 *
 * @example
 * ```ts
 * router.delete('/orders/:id', requireScope('orders:write'), deleteOrder);
 * ```
 */
export function requireScope(...scopes: [string, ...string[]]): Middleware<AuthState> {
  const required = parseOptions(schema, scopes, { name: 'requireScope(...scopes)', known: {}, prefixPaths: true });

  return async function requireScopeMiddleware(ctx, next) {
    const auth: unknown = ctx.state.auth;
    const guard = guardOf(auth);
    if (guard === undefined) {
      // A wiring mistake, not a client error: fail loudly (500).
      throw new Error('api-guard: requireScope() must run after requireAccessToken()');
    }
    if (!required.every((scope) => ctx.state.auth.scopes.includes(scope))) {
      respondWithError(ctx, new InsufficientScope(required), guard);
      return;
    }
    await next();
  };
}

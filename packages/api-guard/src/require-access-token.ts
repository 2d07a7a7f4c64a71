/**
 * The `requireAccessToken()` Koa middleware.
 *
 * @packageDocumentation
 */

import type { Middleware } from 'koa';

import type { AuthInfo, AuthState } from './auth-info.ts';
import { extractBearerToken, looksLikeJwt } from './bearer.ts';
import { Discovery } from './discovery.ts';
import { ApiGuardError, InsufficientScope, InvalidToken, MissingToken } from './errors.ts';
import { Introspector } from './introspect.ts';
import { resolveOptions, type RequireAccessTokenOptions } from './options.ts';
import { registerAuth, respondWithError } from './respond.ts';
import { JwtVerifier } from './verify-jwt.ts';

/**
 * Creates Koa middleware that requires a valid bearer access token.
 *
 * The token is read from `Authorization: Bearer …` only. A JWT (three
 * dot-separated parts) is verified per RFC 9068 against the issuer's JWKS; any
 * other token is introspected (RFC 7662) when `introspection` is configured,
 * else rejected. On success `ctx.state.auth` holds the {@link AuthInfo} and the
 * next middleware runs; otherwise the response is written here:
 *
 * - 401 `invalid_token` (bare `Bearer` challenge when no token was sent),
 * - 400 `invalid_request` for a malformed `Authorization` header,
 * - 403 `insufficient_scope` when one of `options.scopes` is missing,
 * - 503 `temporarily_unavailable` when discovery, the JWKS or introspection
 *   fail (also emitted as an `error` event on the Koa app).
 *
 * @param options - Validated now: a bad option throws a `TypeError` naming it.
 *
 * @example
 * ```ts
 * app.use(requireAccessToken({ issuer: 'https://id.example.com', audience: 'https://api.example.com' }));
 * app.use((ctx) => { ctx.body = { hello: ctx.state.auth.sub ?? ctx.state.auth.clientId }; });
 * ```
 */
export function requireAccessToken(options: RequireAccessTokenOptions): Middleware<AuthState> {
  const resolved = resolveOptions(options);
  const discovery = new Discovery(resolved.issuer, { timeout: resolved.timeout });
  const jwt = new JwtVerifier(resolved, discovery);
  const introspector = resolved.introspection === undefined ? undefined : new Introspector(resolved, discovery);

  async function authenticate(token: string | undefined): Promise<AuthInfo> {
    if (token === undefined) throw new MissingToken();
    let auth: AuthInfo;
    if (looksLikeJwt(token)) {
      auth = await jwt.verify(token);
    } else if (introspector !== undefined) {
      auth = await introspector.introspect(token);
    } else {
      throw new InvalidToken('the access token is not a JWT and introspection is not configured');
    }
    if (!resolved.scopes.every((scope) => auth.scopes.includes(scope))) {
      throw new InsufficientScope(resolved.scopes);
    }
    return auth;
  }

  return async function requireAccessTokenMiddleware(ctx, next) {
    let auth: AuthInfo;
    try {
      auth = await authenticate(extractBearerToken(ctx.req));
    } catch (err) {
      if (err instanceof ApiGuardError) {
        respondWithError(ctx, err, resolved.realm);
        return;
      }
      throw err;
    }
    registerAuth(auth, resolved.realm);
    ctx.state.auth = auth;
    await next();
  };
}

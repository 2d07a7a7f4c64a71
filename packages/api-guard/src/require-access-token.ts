/**
 * The `requireAccessToken()` Koa middleware.
 *
 * @packageDocumentation
 */

import type { Context, Middleware } from 'koa';

import type { AuthInfo, AuthState } from './auth-info.ts';
import { extractCredentials, looksLikeJwt, type Credentials } from './bearer.ts';
import { Discovery } from './discovery.ts';
import { DpopVerifier } from './dpop-proof.ts';
import { ApiGuardError, InsufficientScope, InvalidToken, MissingToken } from './errors.ts';
import { Introspector } from './introspect.ts';
import { resolveOptions, type RequireAccessTokenOptions, type ResolvedOptions } from './options.ts';
import { registerAuth, respondWithError, type ChallengeSettings } from './respond.ts';
import { checkBinding } from './token-binding.ts';
import { JwtVerifier } from './verify-jwt.ts';

function safePath(target: string): string {
  try {
    return new URL(target).pathname;
  } catch {
    return target.split('?')[0]!;
  }
}

/**
 * The URL the client called, for the proof's `htu`: `dpop.publicUrl` plus the
 * path, else Koa's view of the request (`X-Forwarded-*` only with `app.proxy`).
 * `originalUrl`, not `path`: a mounting middleware may have rewritten the path.
 */
function requestUrl(ctx: Context, publicUrl: string | undefined): string {
  // An absolute-form request target (`GET http://host/path`, RFC 9112 §3.2.2) carries its own origin.
  const path = ctx.originalUrl.startsWith('/') ? ctx.originalUrl.split('?')[0]! : safePath(ctx.originalUrl);
  return publicUrl !== undefined ? `${publicUrl}${path}` : `${ctx.protocol}://${ctx.host}${path}`;
}

/**
 * Creates Koa middleware that requires a valid access token.
 *
 * The token is read from `Authorization: Bearer …` only, or also from
 * `Authorization: DPoP …` with a `DPoP` proof header when `dpop` is on. A JWT
 * (three dot-separated parts) is verified per RFC 9068 against the issuer's
 * JWKS; any other token is introspected (RFC 7662) when `introspection` is
 * configured, else rejected. On success `ctx.state.auth` holds the
 * {@link AuthInfo} and the next middleware runs; otherwise the response is
 * written here:
 *
 * - 401 `invalid_token` (bare challenge when no token was sent),
 * - 401 `invalid_dpop_proof` / `use_dpop_nonce` for a DPoP proof that fails,
 * - 400 `invalid_request` for a malformed `Authorization` header,
 * - 403 `insufficient_scope` when one of `options.scopes` is missing,
 * - 503 `temporarily_unavailable` when discovery, the JWKS or introspection
 *   fail (also emitted as an `error` event on the Koa app).
 *
 * @param options - Validated now: a bad option throws an `ApiGuardOptionsError` (a `TypeError`) naming it.
 *
 * @example
 * ```ts
 * app.use(requireAccessToken({ issuer: 'https://id.example.com', audience: 'https://api.example.com' }));
 * app.use((ctx) => { ctx.body = { hello: ctx.state.auth.sub ?? ctx.state.auth.clientId }; });
 * ```
 */
export function requireAccessToken(options: RequireAccessTokenOptions): Middleware<AuthState> {
  const resolved: ResolvedOptions = resolveOptions(options);
  const discovery = new Discovery(resolved.issuer, { timeout: resolved.timeout });
  const jwt = new JwtVerifier(resolved, discovery);
  const introspector = resolved.introspection === undefined ? undefined : new Introspector(resolved, discovery);
  const dpop = resolved.dpop === undefined ? undefined : new DpopVerifier(resolved.dpop, resolved.clockTolerance);
  const settings: ChallengeSettings = {
    realm: resolved.realm,
    dpop: resolved.dpop === undefined ? undefined : { algorithms: resolved.dpop.algorithms, required: resolved.dpop.required },
  };

  async function verifyToken(token: string): Promise<AuthInfo> {
    if (looksLikeJwt(token)) return jwt.verify(token);
    if (introspector !== undefined) return introspector.introspect(token);
    throw new InvalidToken('the access token is not a JWT and introspection is not configured');
  }

  async function authenticate(ctx: Context, credentials: Credentials | undefined): Promise<AuthInfo> {
    if (credentials === undefined) throw new MissingToken();
    const { scheme, token } = credentials;
    if (scheme === 'Bearer' && resolved.dpop?.required === true) {
      throw new InvalidToken('this resource requires a DPoP-bound access token (Authorization: DPoP)');
    }
    // The proof first: no network call for a request whose proof fails.
    const jkt = scheme === 'DPoP' && dpop !== undefined ? await dpop.verify(ctx.req, { method: ctx.method, url: requestUrl(ctx, resolved.dpop?.publicUrl), accessToken: token }) : undefined;
    const auth = await verifyToken(token);
    checkBinding(auth, scheme, jkt);
    if (!resolved.scopes.every((scope) => auth.scopes.includes(scope))) {
      throw new InsufficientScope(resolved.scopes);
    }
    return auth;
  }

  return async function requireAccessTokenMiddleware(ctx, next) {
    let credentials: Credentials | undefined;
    let auth: AuthInfo;
    try {
      credentials = extractCredentials(ctx.req, { dpop: dpop !== undefined });
      auth = await authenticate(ctx, credentials);
    } catch (err) {
      if (err instanceof ApiGuardError) {
        respondWithError(ctx, err, { ...settings, scheme: credentials?.scheme });
        // RFC 9449 §9: a fresh nonce with every DPoP answer keeps clients in step.
        if (dpop?.nonces !== undefined && !ctx.response.get('DPoP-Nonce')) ctx.set('DPoP-Nonce', dpop.nonces.current());
        return;
      }
      throw err;
    }
    // One object per request: an introspection cache hit is shared by
    // requests that may differ in scheme, and the guard context is per request.
    auth = Object.freeze({ ...auth });
    registerAuth(auth, { ...settings, scheme: credentials!.scheme });
    ctx.state.auth = auth;
    if (dpop?.nonces !== undefined) ctx.set('DPoP-Nonce', dpop.nonces.current());
    await next();
  };
}

/**
 * The `requireAuthentication()` Koa middleware: step-up authentication on the
 * resource server side (RFC 9470).
 *
 * @packageDocumentation
 */

import type { Middleware } from 'koa';
import { z } from 'zod';

import type { AuthState } from './auth-info.ts';
import { InsufficientUserAuthentication } from './errors.ts';
import { guardOf, respondWithError } from './respond.ts';
import { got, parseOptions } from './validate.ts';

/** Options of {@link requireAuthentication}: at least one of them. */
export interface RequireAuthenticationOptions {
  /**
   * Acceptable authentication context classes: the token's `acr` claim must
   * be one of them (exact match), e.g. `['urn:portcullis:mfa']`.
   */
  acr?: readonly string[];
  /**
   * Seconds since the user last authenticated: the token's `auth_time` claim
   * must be at most this old. A token without `auth_time` is refused.
   */
  maxAge?: number;
}

// An acr value goes into the space-separated, quoted `acr_values`.
const ACR_VALUE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

const schema = z
  .strictObject(
    {
      acr: z
        .array(
          z.string({ error: got('must contain acr values without spaces, quotes or backslashes') }).regex(ACR_VALUE, {
            error: got('must contain acr values without spaces, quotes or backslashes'),
          }),
          { error: got('must be a non-empty array of acr values, e.g. ["urn:example:mfa"]') },
        )
        .min(1, { error: got('must be a non-empty array of acr values, e.g. ["urn:example:mfa"]') })
        .transform((values): readonly string[] => Object.freeze([...new Set(values)]))
        .optional(),
      maxAge: z
        .number({ error: got('must be an integer number of seconds from 0 to 31536000') })
        .refine((v) => Number.isInteger(v) && v >= 0 && v <= 31_536_000, {
          error: got('must be an integer number of seconds from 0 to 31536000'),
        })
        .optional(),
    },
    { error: got('must be an object { acr?, maxAge? }') },
  )
  .refine((o) => o.acr !== undefined || o.maxAge !== undefined, 'needs acr, maxAge or both');

/**
 * Creates Koa middleware, used after {@link requireAccessToken}, that requires
 * a strong enough (`acr`) and recent enough (`auth_time`) user authentication
 * behind the access token. Otherwise it answers 401
 * `insufficient_user_authentication` with the requirements in the challenge
 * (RFC 9470 §3), e.g.
 * `Bearer error="insufficient_user_authentication", error_description="…", acr_values="urn:example:mfa"`,
 * so the client can send the user back to the authorization server with
 * `acr_values` and/or `max_age` and retry with the new token.
 *
 * A client token (no user) has no `acr` or `auth_time`: it is refused the same way.
 *
 * @param options - Validated now: a bad option throws an `ApiGuardOptionsError` (a `TypeError`) naming it.
 *
 * @example
 * ```ts
 * router.delete('/account', requireAuthentication({ acr: ['urn:example:mfa'], maxAge: 300 }), deleteAccount);
 * ```
 */
export function requireAuthentication(options: RequireAuthenticationOptions): Middleware<AuthState> {
  const { acr, maxAge } = parseOptions(schema, options, { name: 'requireAuthentication options', known: { '': ['acr', 'maxAge'] } });
  const requirements = { acrValues: acr, maxAge };

  function problem(claims: Readonly<Record<string, unknown>>): string | undefined {
    if (acr !== undefined && (typeof claims['acr'] !== 'string' || !acr.includes(claims['acr']))) {
      return claims['acr'] === undefined ? 'the access token does not say how the user authenticated (no acr claim)' : 'a stronger user authentication is required';
    }
    if (maxAge !== undefined) {
      const authTime = claims['auth_time'];
      if (typeof authTime !== 'number') return 'the access token does not say when the user authenticated (no auth_time claim)';
      if (Math.floor(Date.now() / 1000) - authTime > maxAge) return 'a more recent user authentication is required';
    }
    return undefined;
  }

  return async function requireAuthenticationMiddleware(ctx, next) {
    const guard = guardOf(ctx.state.auth as unknown);
    if (guard === undefined) {
      // A wiring mistake, not a client error: fail loudly (500).
      throw new Error('api-guard: requireAuthentication() must run after requireAccessToken()');
    }
    const description = problem(ctx.state.auth.claims);
    if (description !== undefined) {
      respondWithError(ctx, new InsufficientUserAuthentication(description, requirements), guard);
      return;
    }
    await next();
  };
}

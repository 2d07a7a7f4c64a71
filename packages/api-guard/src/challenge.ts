/**
 * `WWW-Authenticate` challenges (RFC 9110 §11.6.1) for the `Bearer`
 * (RFC 6750 §3) and `DPoP` (RFC 9449 §7.1) schemes.
 *
 * @packageDocumentation
 */

import type { ApiGuardErrorCode } from './error-codes.ts';

/** Parameters of a `Bearer` challenge (RFC 6750 §3, RFC 9470 §3). */
export interface BearerChallenge {
  realm?: string | undefined;
  error?: ApiGuardErrorCode | undefined;
  error_description?: string | undefined;
  scope?: string | undefined;
  /** RFC 9470: acceptable `acr` values, space-separated. */
  acr_values?: string | undefined;
  /** RFC 9470: the largest acceptable age of the user authentication, in seconds. */
  max_age?: string | undefined;
}

/** The authentication schemes a guard can accept. */
export type AuthScheme = 'Bearer' | 'DPoP';

// Fixed order: realm first, the error next, then the error's own parameters.
const ORDER = ['realm', 'error', 'error_description', 'scope', 'acr_values', 'max_age', 'algs'] as const;

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Formats one challenge. Parameters that are `undefined` are left out; with
 * none left the challenge is the bare scheme name.
 * @internal
 */
export function formatChallenge(scheme: AuthScheme, params: Readonly<Record<string, string | undefined>>): string {
  const parts: string[] = [];
  for (const name of ORDER) {
    const value = params[name];
    if (value !== undefined) parts.push(`${name}=${quote(value)}`);
  }
  return parts.length === 0 ? scheme : `${scheme} ${parts.join(', ')}`;
}

/**
 * Formats a `WWW-Authenticate: Bearer …` challenge (RFC 6750 §3). Attributes
 * that are `undefined` are left out; with none left the challenge is just
 * `Bearer`. Values are quoted, as in the RFCs' examples (RFC 9470 §3 shows
 * `max_age="5"`).
 *
 * @example
 * formatWwwAuthenticate({ realm: 'api', error: 'invalid_token', error_description: 'access token expired' })
 * // => 'Bearer realm="api", error="invalid_token", error_description="access token expired"'
 */
export function formatWwwAuthenticate(challenge: BearerChallenge): string {
  return formatChallenge('Bearer', { ...challenge });
}

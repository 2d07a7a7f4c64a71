/**
 * Checks that the way a token was presented fits its binding (RFC 9449 §7.1):
 * a DPoP-bound token (`cnf.jkt`) only with the `DPoP` scheme and a proof
 * signed by that key; any sender-constrained token (`cnf`, DPoP or mTLS) never
 * as a `Bearer` token.
 *
 * @packageDocumentation
 */

import type { AuthInfo } from './auth-info.ts';
import type { AuthScheme } from './challenge.ts';
import { InvalidToken } from './errors.ts';

/**
 * @param jkt - The proof key's thumbprint when the scheme is `DPoP`.
 * @throws {@link InvalidToken} when the presentation does not fit the token.
 * @internal
 */
export function checkBinding(auth: AuthInfo, scheme: AuthScheme, jkt: string | undefined): void {
  const { cnf, token_type: tokenType } = auth.claims;
  // Introspection says `token_type: DPoP` for a DPoP-bound token (RFC 9449 §6.2).
  const dpopType = typeof tokenType === 'string' && tokenType.toLowerCase() === 'dpop';
  if (scheme === 'Bearer') {
    if (cnf !== undefined || dpopType) {
      throw new InvalidToken('a sender-constrained access token cannot be used as a bearer token');
    }
    return;
  }
  const bound = typeof cnf === 'object' && cnf !== null ? (cnf as Record<string, unknown>)['jkt'] : undefined;
  if (typeof bound !== 'string') {
    throw new InvalidToken('the access token is not DPoP-bound: present it with the Bearer scheme');
  }
  if (bound !== jkt) throw new InvalidToken('the access token is not bound to the DPoP proof key');
}

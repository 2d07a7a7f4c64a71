/**
 * A token endpoint's successful answer (RFC 6749 §5.1) read into the BFF's
 * shape: the access token and its type (`DPoP` when the provider bound it
 * to the key, RFC 9449 §5), expiry, refresh token, and the ID token's claims
 * once verified by the caller.
 */
import { InvalidToken } from '../errors.ts';

/** The fields of a token response the BFF uses. */
export interface TokenResponse {
  accessToken: string;
  /** `'DPoP'` when the token is bound to the DPoP key; anything else is sent as a bearer token. */
  tokenType: 'Bearer' | 'DPoP';
  refreshToken: string | undefined;
  idToken: string | undefined;
  /** Unix seconds. */
  expiresAt: number;
  scope: string | undefined;
  /** Refresh token expiry, unix seconds, from the non-standard `refresh_expires_in` (Keycloak). */
  refreshExpiresAt: number | undefined;
}

/** Without `expires_in`, assume a short life so the BFF refreshes early rather than late. */
const DEFAULT_LIFETIME = 300;

/** Reads `json`; throws `InvalidToken` when it carries no usable access token. */
export function readTokenResponse(json: Record<string, unknown>, { dpop }: { dpop: boolean }): TokenResponse {
  const str = (name: string): string | undefined => (typeof json[name] === 'string' && json[name] ? (json[name] as string) : undefined);
  const seconds = (name: string): number | undefined => (typeof json[name] === 'number' && (json[name] as number) > 0 ? (json[name] as number) : undefined);
  const accessToken = str('access_token');
  if (!accessToken) throw new InvalidToken('The provider returned no access token.');
  const type = str('token_type')?.toLowerCase();
  // A DPoP-bound token answered to a request without a proof would be unusable: refuse it now, not at every call.
  if (type === 'dpop' && !dpop) throw new InvalidToken('The provider returned a DPoP-bound token to a client without DPoP.');
  const now = Math.floor(Date.now() / 1000);
  const refreshIn = seconds('refresh_expires_in');
  return {
    accessToken,
    tokenType: type === 'dpop' ? 'DPoP' : 'Bearer',
    refreshToken: str('refresh_token'),
    idToken: str('id_token'),
    expiresAt: now + (seconds('expires_in') ?? DEFAULT_LIFETIME),
    scope: str('scope'),
    refreshExpiresAt: refreshIn === undefined ? undefined : now + refreshIn,
  };
}

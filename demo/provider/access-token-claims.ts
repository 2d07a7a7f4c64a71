import type { Configuration } from 'oidc-provider';

type TokenSource = { acr?: string; authTime?: number } | undefined;

/**
 * RFC 9068 §2.2.1: JWT access tokens carry `acr` and `auth_time` of the user's
 * authentication, which oidc-provider's JWT format leaves out; APIs need them
 * for step-up (RFC 9470). They come from the code or refresh token being
 * exchanged (none for client_credentials: no user).
 */
export const authenticationClaims: NonNullable<Configuration['extraTokenClaims']> = (ctx, token) => {
  if (token.kind !== 'AccessToken') return undefined;
  const entities = ctx.oidc.entities as { AuthorizationCode?: TokenSource; RefreshToken?: TokenSource };
  const source = entities.AuthorizationCode ?? entities.RefreshToken;
  if (source?.acr === undefined && source?.authTime === undefined) return undefined;
  return { acr: source.acr, auth_time: source.authTime };
};

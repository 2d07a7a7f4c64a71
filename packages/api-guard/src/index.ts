/**
 * `@portcullis/api-guard`: Koa middleware for OAuth 2.0 resource servers.
 *
 * @packageDocumentation
 */

export { requireAccessToken } from './require-access-token.ts';
export { requireScope } from './require-scope.ts';
export { requireAuthentication } from './require-authentication.ts';
export type { RequireAuthenticationOptions } from './require-authentication.ts';
export { isClientToken } from './auth-info.ts';
export type { AccessTokenClaims, AuthInfo, AuthState, TokenKind } from './auth-info.ts';
export { ApiGuardError, InsufficientScope, InsufficientUserAuthentication, InvalidDpopProof, InvalidRequest, InvalidToken, MissingToken, TemporarilyUnavailable, UseDpopNonce } from './errors.ts';
export type { ApiGuardErrorCode, ChallengeParams, ErrorResponseBody } from './errors.ts';
export { formatWwwAuthenticate } from './challenge.ts';
export type { AuthScheme, BearerChallenge } from './challenge.ts';
export { ApiGuardOptionsError } from './validate.ts';
export { DEFAULT_ALGORITHMS } from './options.ts';
export type { IntrospectionOptions, JwsAlgorithm, RequireAccessTokenOptions } from './options.ts';
export { DEFAULT_DPOP_ALGORITHMS } from './dpop-options.ts';
export type { DpopNonceOptions, DpopOptions } from './dpop-options.ts';

/**
 * `@portcullis/api-guard`: Koa middleware for OAuth 2.0 resource servers.
 *
 * @packageDocumentation
 */

export { requireAccessToken } from './require-access-token.ts';
export { requireScope } from './require-scope.ts';
export { isClientToken } from './auth-info.ts';
export type { AccessTokenClaims, AuthInfo, AuthState, TokenKind } from './auth-info.ts';
export {
  ApiGuardError,
  InsufficientScope,
  InvalidRequest,
  InvalidToken,
  MissingToken,
  TemporarilyUnavailable,
  formatWwwAuthenticate,
} from './errors.ts';
export type { ApiGuardErrorCode, BearerChallenge, ErrorResponseBody } from './errors.ts';
export { DEFAULT_ALGORITHMS } from './options.ts';
export type { IntrospectionOptions, JwsAlgorithm, RequireAccessTokenOptions } from './options.ts';

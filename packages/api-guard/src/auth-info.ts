/**
 * What a verified access token says about the caller, as put on
 * `ctx.state.auth`.
 *
 * @packageDocumentation
 */

/**
 * `'client'` for a token a client obtained for itself (e.g. the
 * client_credentials grant), `'user'` for one issued on behalf of a resource
 * owner.
 */
export type TokenKind = 'user' | 'client';

/** Claims of a JWT access token (RFC 9068 §2.2) or of an introspection response (RFC 7662 §2.2). */
export interface AccessTokenClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  client_id?: string;
  scope?: string;
  [claim: string]: unknown;
}

/** The verified caller, available as `ctx.state.auth` after {@link requireAccessToken}. */
export interface AuthInfo {
  /** See {@link isClientToken} for the rule. */
  readonly kind: TokenKind;
  /** The `sub` claim, `undefined` when absent. */
  readonly sub: string | undefined;
  /** The `client_id` claim: the client the token was issued to. */
  readonly clientId: string;
  /** The granted scopes (the `scope` claim split on spaces). */
  readonly scopes: readonly string[];
  /** Every claim of the token (or of the introspection response). */
  readonly claims: Readonly<AccessTokenClaims>;
  /** How the token was checked. */
  readonly source: 'jwt' | 'introspection';
}

/** The Koa state added by {@link requireAccessToken}. */
export interface AuthState {
  auth: AuthInfo;
}

/** Splits a `scope` claim (space-separated, RFC 6749 §3.3) into unique scope names. */
export function parseScope(scope: unknown): string[] {
  if (typeof scope !== 'string') return [];
  return [...new Set(scope.split(' ').filter((s) => s !== ''))];
}

/**
 * Builds the frozen {@link AuthInfo}. The caller has already checked that
 * `client_id` is a non-empty string and `sub`, when present, a string.
 * @internal
 */
export function createAuthInfo(claims: AccessTokenClaims & { client_id: string }, source: AuthInfo['source']): AuthInfo {
  const sub = typeof claims.sub === 'string' ? claims.sub : undefined;
  return Object.freeze({
    // RFC 9068 §2.2: with no resource owner, `sub` SHOULD identify the client.
    // oidc-provider sets sub = client_id on client_credentials JWTs and leaves
    // sub out of their introspection responses.
    kind: sub === undefined || sub === claims.client_id ? 'client' : 'user',
    sub,
    clientId: claims.client_id,
    scopes: Object.freeze(parseScope(claims.scope)),
    claims: Object.freeze({ ...claims }),
    source,
  });
}

/**
 * Whether the token was issued to a client acting on its own behalf (a
 * machine token, e.g. from the client_credentials grant) rather than to a
 * client acting for a user.
 *
 * Rule: a token is a client token when it has no `sub` claim, or when `sub`
 * equals `client_id` (RFC 9068 §2.2; oidc-provider issues client_credentials
 * JWTs with `sub` = `client_id`). An authorization server whose user
 * identifiers can collide with client identifiers cannot be told apart by
 * this rule.
 */
export function isClientToken(auth: AuthInfo): boolean {
  return auth.kind === 'client';
}

/**
 * Typed errors, named after the OAuth 2.0 error codes they answer with:
 * RFC 6750 §3.1, RFC 9470 §3 (`insufficient_user_authentication`), RFC 9449
 * §7.1 and §9 (`invalid_dpop_proof`, `use_dpop_nonce`), plus
 * `temporarily_unavailable` for an unreachable authorization server.
 *
 * Error descriptions are fixed, developer-facing sentences. They never contain
 * the presented token, proof or any value taken from them.
 *
 * @packageDocumentation
 */

import { formatWwwAuthenticate } from './challenge.ts';

import type { ApiGuardErrorCode } from './error-codes.ts';

export type { ApiGuardErrorCode } from './error-codes.ts';

/** The JSON body written for every error response. */
export interface ErrorResponseBody {
  error: ApiGuardErrorCode;
  error_description: string;
}

/** Challenge parameters of an error, besides `realm` (and `algs` for DPoP). */
export type ChallengeParams = Readonly<Record<string, string | undefined>>;

// RFC 6750 §3: error_description and scope values exclude `"` and `\`.
const DESCRIPTION_CHARS = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function assertDescription(description: string): string {
  if (!DESCRIPTION_CHARS.test(description)) {
    throw new TypeError('api-guard: error descriptions must be printable ASCII without " or \\');
  }
  return description;
}

/**
 * Base class of every error this package turns into an HTTP response. Same
 * shape as `@portcullis/bff`'s errors and Koa's `http-errors`: `code`,
 * `status`, and `expose` (true below 500: the description may be shown).
 */
export abstract class ApiGuardError extends Error {
  /** The OAuth error code (`error` in the body and the challenge). */
  abstract readonly code: ApiGuardErrorCode;
  /** The HTTP status of the response. */
  abstract readonly status: 400 | 401 | 403 | 503;
  /** The `error_description`: a fixed sentence, never derived from the token. */
  readonly description: string;

  /**
   * @param description - Sent to the client as `error_description`.
   * @param options - `message` overrides the (log-only) `Error#message`, which
   *   defaults to the description; `cause` is kept for server-side logs.
   */
  constructor(description: string, options?: { cause?: unknown; message?: string }) {
    super(options?.message ?? description, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.description = assertDescription(description);
  }

  /** Whether the description may be shown to the client (Koa's convention): `status < 500`. */
  get expose(): boolean {
    return this.status < 500;
  }

  /** Response headers besides `WWW-Authenticate` (e.g. `DPoP-Nonce`). */
  get headers(): Readonly<Record<string, string>> {
    return {};
  }

  /**
   * The challenge parameters besides `realm`, or `undefined` when no challenge
   * is sent. Default: `error` and `error_description`.
   */
  challengeParams(): ChallengeParams | undefined {
    return { error: this.code, error_description: this.description };
  }

  /** The `WWW-Authenticate: Bearer …` challenge, or `undefined` when none is sent. */
  wwwAuthenticate(realm?: string): string | undefined {
    const params = this.challengeParams();
    return params === undefined ? undefined : formatWwwAuthenticate({ realm, ...params });
  }

  /** The JSON response body. */
  toJSON(): ErrorResponseBody {
    return { error: this.code, error_description: this.description };
  }
}

/** 400 `invalid_request`: the request is malformed (e.g. two `Authorization` headers). */
export class InvalidRequest extends ApiGuardError {
  readonly code = 'invalid_request' as const;
  readonly status = 400 as const;
}

/** 401 `invalid_token`: the access token is malformed, expired, revoked or not for this API. */
export class InvalidToken extends ApiGuardError {
  readonly code = 'invalid_token' as const;
  readonly status = 401 as const;
}

/**
 * 401 for a request without an access token (none at all, or another
 * authentication scheme). Per RFC 6750 §3.1 the challenge then carries no
 * error code: it is just `Bearer` (with the realm when configured). The JSON
 * body still says `invalid_token` to help developers.
 */
export class MissingToken extends InvalidToken {
  constructor() {
    super('a bearer access token is required');
  }

  override challengeParams(): ChallengeParams {
    return {};
  }
}

/** 403 `insufficient_scope`: the token is valid but lacks a required scope. */
export class InsufficientScope extends ApiGuardError {
  readonly code = 'insufficient_scope' as const;
  readonly status = 403 as const;
  /** Every scope the resource requires (sent as the challenge's `scope`). */
  readonly scopes: readonly string[];

  constructor(scopes: readonly string[]) {
    super('the access token lacks a required scope');
    this.scopes = Object.freeze([...scopes]);
  }

  override challengeParams(): ChallengeParams {
    return { ...super.challengeParams(), scope: this.scopes.join(' ') };
  }
}

/**
 * 401 `insufficient_user_authentication` (RFC 9470 §3): the token is valid but
 * the user's authentication is not strong enough (`acr`) or too old
 * (`auth_time`). The challenge tells the client what to ask the authorization
 * server for: `acr_values` and/or `max_age`.
 */
export class InsufficientUserAuthentication extends ApiGuardError {
  readonly code = 'insufficient_user_authentication' as const;
  readonly status = 401 as const;
  /** Acceptable `acr` values (sent as `acr_values`), empty when only recency matters. */
  readonly acrValues: readonly string[];
  /** The largest acceptable age of the authentication, in seconds (sent as `max_age`). */
  readonly maxAge: number | undefined;

  constructor(description: string, requirements: { acrValues?: readonly string[]; maxAge?: number | undefined }) {
    super(description);
    this.acrValues = Object.freeze([...(requirements.acrValues ?? [])]);
    this.maxAge = requirements.maxAge;
  }

  override challengeParams(): ChallengeParams {
    return {
      ...super.challengeParams(),
      acr_values: this.acrValues.length > 0 ? this.acrValues.join(' ') : undefined,
      max_age: this.maxAge === undefined ? undefined : String(this.maxAge),
    };
  }
}

/** 401 `invalid_dpop_proof` (RFC 9449 §7.1): the `DPoP` proof header is missing, malformed or does not match the request. */
export class InvalidDpopProof extends ApiGuardError {
  readonly code = 'invalid_dpop_proof' as const;
  readonly status = 401 as const;
}

/**
 * 401 `use_dpop_nonce` (RFC 9449 §9): the proof must carry the server nonce
 * sent in the `DPoP-Nonce` response header.
 */
export class UseDpopNonce extends ApiGuardError {
  readonly code = 'use_dpop_nonce' as const;
  readonly status = 401 as const;
  /** The nonce the next proof must carry. */
  readonly nonce: string;

  constructor(nonce: string, description = 'the DPoP proof must carry the nonce from the DPoP-Nonce header') {
    super(description);
    this.nonce = nonce;
  }

  override get headers(): Readonly<Record<string, string>> {
    return { 'DPoP-Nonce': this.nonce };
  }
}

/**
 * 503 `temporarily_unavailable`: the authorization server's metadata, JWKS or
 * introspection endpoint could not be used, so the token could not be checked.
 * No challenge is sent: the client is not at fault.
 */
export class TemporarilyUnavailable extends ApiGuardError {
  readonly code = 'temporarily_unavailable' as const;
  readonly status = 503 as const;

  override challengeParams(): undefined {
    return undefined;
  }
}

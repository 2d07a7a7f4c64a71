/**
 * Typed errors, named after the OAuth 2.0 error codes of RFC 6750 §3.1 (plus
 * `temporarily_unavailable` for an unreachable authorization server), and the
 * `WWW-Authenticate` challenge they produce.
 *
 * Error descriptions are fixed, developer-facing sentences. They never contain
 * the presented token or any value taken from it.
 *
 * @packageDocumentation
 */

/** The OAuth error codes this package responds with. */
export type ApiGuardErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'temporarily_unavailable';

/** The JSON body written for every error response. */
export interface ErrorResponseBody {
  error: ApiGuardErrorCode;
  error_description: string;
}

/** Parameters of a `Bearer` challenge (RFC 6750 §3). */
export interface BearerChallenge {
  realm?: string | undefined;
  error?: ApiGuardErrorCode | undefined;
  error_description?: string | undefined;
  scope?: string | undefined;
}

// RFC 6750 §3: error_description and scope values exclude `"` and `\`.
const DESCRIPTION_CHARS = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function assertDescription(description: string): string {
  if (!DESCRIPTION_CHARS.test(description)) {
    throw new TypeError('api-guard: error descriptions must be printable ASCII without " or \\');
  }
  return description;
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Formats a `WWW-Authenticate: Bearer …` challenge (RFC 6750 §3). Attributes
 * that are `undefined` are left out; with none left the challenge is just
 * `Bearer`.
 *
 * @example
 * formatWwwAuthenticate({ realm: 'api', error: 'invalid_token', error_description: 'access token expired' })
 * // => 'Bearer realm="api", error="invalid_token", error_description="access token expired"'
 */
export function formatWwwAuthenticate(challenge: BearerChallenge): string {
  const params: string[] = [];
  for (const name of ['realm', 'error', 'error_description', 'scope'] as const) {
    const value = challenge[name];
    if (value !== undefined) params.push(`${name}=${quote(value)}`);
  }
  return params.length === 0 ? 'Bearer' : `Bearer ${params.join(', ')}`;
}

/** Base class of every error this package turns into an HTTP response. */
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

  /** The `WWW-Authenticate` challenge, or `undefined` when none is sent. */
  wwwAuthenticate(realm?: string): string | undefined {
    return formatWwwAuthenticate({ realm, error: this.code, error_description: this.description });
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
 * 401 for a request without a bearer token (none at all, or another
 * authentication scheme). Per RFC 6750 §3.1 the challenge then carries no
 * error code: it is just `Bearer` (with the realm when configured). The JSON
 * body still says `invalid_token` to help developers.
 */
export class MissingToken extends InvalidToken {
  constructor() {
    super('a bearer access token is required');
  }

  override wwwAuthenticate(realm?: string): string {
    return formatWwwAuthenticate({ realm });
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

  override wwwAuthenticate(realm?: string): string {
    return formatWwwAuthenticate({
      realm,
      error: this.code,
      error_description: this.description,
      scope: this.scopes.join(' '),
    });
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

  override wwwAuthenticate(): undefined {
    return undefined;
  }
}

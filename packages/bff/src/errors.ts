/**
 * Typed errors, one class per error code the BFF answers with.
 *
 * Every error carries the HTTP status, the `error` code of the JSON body and
 * a description that is safe to show to the browser: descriptions never
 * contain a token, a code, a secret or a cookie value.
 */

/** Base class of every error the BFF turns into an HTTP response. */
export class BffError extends Error {
  /** HTTP status code of the response. */
  readonly status: number;
  /** The `error` member of the JSON body (an OAuth error code where one fits). */
  readonly code: string;
  /** Whether `message` may be shown to the client (always true for subclasses). */
  readonly expose: boolean;
  /** Extra response headers (e.g. `WWW-Authenticate`). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: string, description: string, options?: { cause?: unknown; headers?: Record<string, string> }) {
    super(description, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.expose = true;
    this.headers = options?.headers ?? {};
  }

  /** The JSON body of the response: `{ error, error_description }`. */
  toJSON(): { error: string; error_description: string } {
    return { error: this.code, error_description: this.message };
  }
}

type ErrorOptions = { cause?: unknown; headers?: Record<string, string> };

/** 400 `invalid_request`: a parameter is missing, malformed or not allowed. */
export class InvalidRequest extends BffError {
  constructor(description: string, options?: ErrorOptions) {
    super(400, 'invalid_request', description, options);
  }
}

/** 400 `invalid_state`: the `state` of a callback is unknown, used already, expired or bound to another browser. */
export class InvalidState extends BffError {
  constructor(description = 'The login request is unknown, expired or was already used. Start the login again.', options?: ErrorOptions) {
    super(400, 'invalid_state', description, options);
  }
}

/** 400 `access_denied` (or the provider's own error code): the provider answered the authorization request with an error. */
export class AuthorizationError extends BffError {
  constructor(code: string, description: string, options?: ErrorOptions) {
    super(400, code, description, options);
  }
}

/** 401 `invalid_token`: a token from the provider failed validation (signature, iss, aud, exp, nonce…). */
export class InvalidToken extends BffError {
  constructor(description: string, options?: ErrorOptions) {
    super(401, 'invalid_token', description, options);
  }
}

/** 401 `unauthenticated`: the request needs a session and has none. */
export class Unauthenticated extends BffError {
  constructor(description = 'No session: log in first.', options?: ErrorOptions) {
    super(401, 'unauthenticated', description, options);
  }
}

/** 401 `session_expired`: the session ended (its refresh token was refused or it reached its lifetime). */
export class SessionExpired extends BffError {
  constructor(description = 'The session has expired: log in again.', options?: ErrorOptions) {
    super(401, 'session_expired', description, options);
  }
}

/** 403 `csrf_required`: the request lacks the `X-CSRF: 1` header or comes from another origin. */
export class CsrfRequired extends BffError {
  constructor(description = 'This endpoint requires the "X-CSRF: 1" header from a same-origin request.', options?: ErrorOptions) {
    super(403, 'csrf_required', description, options);
  }
}

/** 403 `access_denied`: the login policy (`access`, `hooks.onLogin`) refused this user; no session was created. */
export class AccessDenied extends BffError {
  constructor(reason: string, options?: ErrorOptions) {
    super(403, 'access_denied', `You cannot sign in to this application: ${reason}`, options);
  }
}

/** 401 `step_up_required` (RFC 9470): the session's authentication is too weak or too old for this API; log in again with `acr_values`/`max_age`. */
export class StepUpRequired extends BffError {
  readonly acrValues: string | undefined;
  readonly maxAge: number | undefined;
  constructor(challenge: { acrValues?: string; maxAge?: number }, options?: ErrorOptions) {
    super(401, 'step_up_required', 'This action needs a stronger or more recent sign-in: log in again with the acr_values/max_age given.', options);
    this.acrValues = challenge.acrValues;
    this.maxAge = challenge.maxAge;
  }

  /** The JSON body: `{ error, error_description, acr_values?, max_age? }`. */
  override toJSON(): { error: string; error_description: string; acr_values?: string; max_age?: number } {
    return { ...super.toJSON(), ...(this.acrValues ? { acr_values: this.acrValues } : {}), ...(this.maxAge !== undefined ? { max_age: this.maxAge } : {}) };
  }
}

/** 404 `not_found`: no BFF endpoint or proxied API matches the path. */
export class NotFound extends BffError {
  constructor(description = 'Not found.', options?: ErrorOptions) {
    super(404, 'not_found', description, options);
  }
}

/** 405 `method_not_allowed`. */
export class MethodNotAllowed extends BffError {
  constructor(allowed: string[], options?: ErrorOptions) {
    super(405, 'method_not_allowed', `Allowed methods: ${allowed.join(', ')}.`, { ...options, headers: { Allow: allowed.join(', ') } });
  }
}

/** 411 `length_required`: a streamed (chunked) body on a method that cannot carry one safely upstream. */
export class LengthRequired extends BffError {
  constructor(description = 'This request needs a Content-Length: chunked bodies are refused for GET, HEAD, DELETE, OPTIONS and TRACE.', options?: ErrorOptions) {
    super(411, 'length_required', description, options);
  }
}

/** 413 `payload_too_large`: the request body exceeds the route's limit. */
export class PayloadTooLarge extends BffError {
  constructor(limit: number, options?: ErrorOptions) {
    super(413, 'payload_too_large', `The request body exceeds ${limit} bytes.`, options);
  }
}

/** 429 `too_many_requests`. */
export class TooManyRequests extends BffError {
  constructor(retryAfterSeconds: number, options?: ErrorOptions) {
    super(429, 'too_many_requests', 'Too many requests: try again later.', { ...options, headers: { 'Retry-After': String(retryAfterSeconds) } });
  }
}

/** 500 `server_error`: an unexpected failure; details go to the log, never to the client. */
export class ServerError extends BffError {
  constructor(description = 'An unexpected error occurred.', options?: ErrorOptions) {
    super(500, 'server_error', description, options);
  }
}

/** 502 `bad_gateway`: a proxied API could not be reached or answered badly. */
export class BadGateway extends BffError {
  constructor(description = 'The upstream API could not be reached.', options?: ErrorOptions) {
    super(502, 'bad_gateway', description, options);
  }
}

/** 503 `temporarily_unavailable`: the provider or the session store is unreachable; retrying later may succeed. */
export class TemporarilyUnavailable extends BffError {
  constructor(description = 'A service the BFF depends on is unavailable: try again shortly.', options?: ErrorOptions) {
    super(503, 'temporarily_unavailable', description, options);
  }
}

/** 504 `gateway_timeout`: a proxied API did not answer in time. */
export class GatewayTimeout extends BffError {
  constructor(description = 'The upstream API did not answer in time.', options?: ErrorOptions) {
    super(504, 'gateway_timeout', description, options);
  }
}

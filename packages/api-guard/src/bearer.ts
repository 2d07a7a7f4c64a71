/**
 * Reads the bearer token from the `Authorization` request header
 * (RFC 6750 §2.1). Tokens in the query string or in a form body
 * (RFC 6750 §2.2, §2.3) are deliberately NOT accepted: they end up in logs,
 * browser history and `Referer` headers.
 *
 * @packageDocumentation
 */

import { InvalidRequest } from './errors.ts';

/** The part of Node's `IncomingMessage` that is read. */
export interface RawHeadersSource {
  /** Header names and values, alternating, as received (duplicates kept). */
  readonly rawHeaders: readonly string[];
}

// RFC 7230 token (the auth-scheme), then 1*SP, then the rest.
const CREDENTIALS = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:[ ]+(.*))?$/s;
// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Extracts the token of `Authorization: Bearer <b64token>`.
 *
 * @returns The token, or `undefined` when the request carries no
 *   `Authorization` header or one with another scheme (e.g. `Basic`): that is
 *   "no bearer token", answered with a bare `Bearer` challenge.
 * @throws {@link InvalidRequest} for more than one `Authorization` header, or a
 *   `Bearer` scheme whose credentials are empty or not a single b64token
 *   (e.g. `Bearer a, Bearer b`). The messages never contain the token.
 */
export function extractBearerToken(req: RawHeadersSource): string | undefined {
  const values: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'authorization') values.push(raw[i + 1]!);
  }
  if (values.length === 0) return undefined;
  if (values.length > 1) throw new InvalidRequest('the request must carry exactly one Authorization header');

  const value = values[0]!.replace(/^[ \t]+|[ \t]+$/g, '');
  const match = CREDENTIALS.exec(value);
  if (match === null) {
    throw new InvalidRequest('the Authorization header is malformed');
  }
  if (match[1]!.toLowerCase() !== 'bearer') return undefined;
  const token = match[2] ?? '';
  if (token === '') throw new InvalidRequest('the Bearer credentials are empty');
  if (!B64TOKEN.test(token)) {
    throw new InvalidRequest('the Bearer credentials must be a single token (RFC 6750 section 2.1)');
  }
  return token;
}

/** Whether the token has the shape of a JWS compact serialization (three dot-separated parts). */
export function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}

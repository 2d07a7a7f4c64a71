/**
 * Reads the access token from the `Authorization` request header: the
 * `Bearer` scheme (RFC 6750 §2.1) and, when enabled, `DPoP` (RFC 9449 §7.1).
 * Tokens in the query string or in a form body (RFC 6750 §2.2, §2.3) are
 * deliberately NOT accepted: they end up in logs, browser history and
 * `Referer` headers.
 *
 * @packageDocumentation
 */

import type { AuthScheme } from './challenge.ts';
import { InvalidRequest } from './errors.ts';

/** The part of Node's `IncomingMessage` that is read. */
export interface RawHeadersSource {
  /** Header names and values, alternating, as received (duplicates kept). */
  readonly rawHeaders: readonly string[];
}

/** An access token and the scheme it came with. @internal */
export interface Credentials {
  readonly scheme: AuthScheme;
  readonly token: string;
}

// RFC 7230 token (the auth-scheme), then 1*SP, then the rest.
const CREDENTIALS = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:[ ]+(.*))?$/s;
// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Every value of a header, matched case-insensitively (duplicates kept). @internal */
export function headerValues(req: RawHeadersSource, name: string): string[] {
  const values: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === name) values.push(raw[i + 1]!);
  }
  return values;
}

/**
 * Extracts the token of `Authorization: Bearer <b64token>` or, with `dpop`,
 * `Authorization: DPoP <b64token>`.
 *
 * @returns The scheme and token, or `undefined` when the request carries no
 *   `Authorization` header or one with another scheme (e.g. `Basic`): that is
 *   "no token", answered with a bare challenge.
 * @throws {@link InvalidRequest} for more than one `Authorization` header, or
 *   credentials that are empty or not a single b64token (e.g.
 *   `Bearer a, Bearer b`). The messages never contain the token.
 */
export function extractCredentials(req: RawHeadersSource, { dpop }: { dpop: boolean }): Credentials | undefined {
  const values = headerValues(req, 'authorization');
  if (values.length === 0) return undefined;
  if (values.length > 1) throw new InvalidRequest('the request must carry exactly one Authorization header');

  const value = values[0]!.replace(/^[ \t]+|[ \t]+$/g, '');
  const match = CREDENTIALS.exec(value);
  if (match === null) {
    throw new InvalidRequest('the Authorization header is malformed');
  }
  const name = match[1]!.toLowerCase();
  const scheme: AuthScheme | undefined = name === 'bearer' ? 'Bearer' : dpop && name === 'dpop' ? 'DPoP' : undefined;
  if (scheme === undefined) return undefined;
  const token = match[2] ?? '';
  if (token === '') throw new InvalidRequest(`the ${scheme} credentials are empty`);
  if (!B64TOKEN.test(token)) {
    throw new InvalidRequest(`the ${scheme} credentials must be a single token (RFC 6750 section 2.1)`);
  }
  return { scheme, token };
}

/** {@link extractCredentials} for the `Bearer` scheme only; `undefined` for any other scheme. */
export function extractBearerToken(req: RawHeadersSource): string | undefined {
  return extractCredentials(req, { dpop: false })?.token;
}

/** Whether the token has the shape of a JWS compact serialization (three dot-separated parts). */
export function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}

/**
 * RFC 7662 token introspection for opaque access tokens, authenticated with
 * the API's own client credentials (client_secret_basic), with a short,
 * bounded cache of positive answers.
 *
 * @packageDocumentation
 */

import { createHash } from 'node:crypto';

import { createAuthInfo, type AccessTokenClaims, type AuthInfo } from './auth-info.ts';
import type { Discovery } from './discovery.ts';
import { InvalidToken, TemporarilyUnavailable } from './errors.ts';
import type { ResolvedOptions } from './options.ts';

const UNAVAILABLE = 'the authorization server is unavailable';

/** RFC 6749 §2.3.1: client_id and secret are form-urlencoded before Basic encoding. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

/** Cache keys are digests: raw tokens are never kept as keys. */
function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * A small LRU map of positive introspection results, each with its own
 * expiry (epoch milliseconds).
 * @internal
 */
export class IntrospectionCache {
  readonly #entries = new Map<string, { auth: AuthInfo; expiresAt: number }>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): AuthInfo | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (Date.now() >= entry.expiresAt) return undefined;
    this.#entries.set(key, entry); // most recently used last
    return entry.auth;
  }

  set(key: string, auth: AuthInfo, expiresAt: number): void {
    this.#entries.delete(key);
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { auth, expiresAt });
  }
}

/**
 * Introspects opaque tokens at the issuer's `introspection_endpoint`.
 * @internal
 */
export class Introspector {
  readonly #options: ResolvedOptions;
  readonly #introspection: NonNullable<ResolvedOptions['introspection']>;
  readonly #discovery: Discovery;
  readonly #cache: IntrospectionCache;
  readonly #inFlight = new Map<string, Promise<AuthInfo>>();

  constructor(options: ResolvedOptions, discovery: Discovery) {
    if (options.introspection === undefined) throw new TypeError('api-guard: introspection is not configured');
    this.#options = options;
    this.#introspection = options.introspection;
    this.#discovery = discovery;
    this.#cache = new IntrospectionCache(options.introspection.cacheMaxEntries);
  }

  /**
   * Introspects the token (or reuses a cached active answer).
   * @throws {@link InvalidToken} when inactive or not for this API,
   *   {@link TemporarilyUnavailable} when the endpoint cannot be used.
   */
  async introspect(token: string): Promise<AuthInfo> {
    const key = digest(token);
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;

    let pending = this.#inFlight.get(key);
    if (pending === undefined) {
      pending = this.#introspect(token, key).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    return pending;
  }

  async #introspect(token: string, key: string): Promise<AuthInfo> {
    const body = await this.#request(token);
    const auth = this.#check(body);
    const ttl = this.#introspection.cacheTtl * 1000;
    if (ttl > 0) {
      const exp = auth.claims.exp;
      const expiresAt = Math.min(Date.now() + ttl, typeof exp === 'number' ? exp * 1000 : Infinity);
      if (expiresAt > Date.now()) this.#cache.set(key, auth, expiresAt);
    }
    return auth;
  }

  async #request(token: string): Promise<unknown> {
    const metadata = await this.#discovery.get();
    const endpoint = metadata.introspection_endpoint;
    const fail = (detail: string, cause?: unknown): TemporarilyUnavailable =>
      new TemporarilyUnavailable(UNAVAILABLE, {
        cause,
        message: `api-guard: token introspection at issuer ${this.#options.issuer} failed: ${detail}`,
      });
    if (endpoint === undefined) throw fail('the metadata has no introspection_endpoint');

    const { clientId, clientSecret } = this.#introspection;
    const credentials = Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64');
    let response: Response;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: {
          authorization: `Basic ${credentials}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
        redirect: 'error',
        signal: AbortSignal.timeout(this.#options.timeout),
      });
    } catch (err) {
      // Only the error's name: undici messages do not carry the body, but stay safe.
      throw fail(err instanceof Error ? err.name : 'request failed', err);
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw fail(`the endpoint answered ${response.status}, expected 200`);
    }
    try {
      return await response.json();
    } catch (err) {
      throw fail('the response is not JSON', err);
    }
  }

  #check(body: unknown): AuthInfo {
    if (typeof body !== 'object' || body === null || Array.isArray(body) || typeof (body as { active?: unknown }).active !== 'boolean') {
      throw new TemporarilyUnavailable(UNAVAILABLE, {
        message: `api-guard: token introspection at issuer ${this.#options.issuer} failed: the response has no boolean "active"`,
      });
    }
    const claims = body as AccessTokenClaims & { active: boolean };
    if (!claims.active) throw new InvalidToken('the access token is not active');

    const { issuer, audience, clockTolerance } = this.#options;
    const now = Math.floor(Date.now() / 1000);
    // `DPoP` is a DPoP-bound access token (RFC 9449 §6.2), checked against the scheme by token-binding.ts.
    if (claims.token_type !== undefined && (typeof claims.token_type !== 'string' || !['bearer', 'dpop'].includes(claims.token_type.toLowerCase()))) {
      throw new InvalidToken('the token is not an access token');
    }
    if (claims.iss !== undefined && claims.iss !== issuer) {
      throw new InvalidToken('the access token was issued by another issuer');
    }
    if (claims.aud !== undefined) {
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!aud.some((value) => audience.includes(value))) {
        throw new InvalidToken('the access token is not intended for this resource server');
      }
    }
    if (claims.exp !== undefined && (typeof claims.exp !== 'number' || claims.exp <= now - clockTolerance)) {
      throw new InvalidToken('the access token expired');
    }
    if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > now + clockTolerance)) {
      throw new InvalidToken('the access token is not yet valid');
    }
    if (typeof claims.client_id !== 'string' || claims.client_id === '') {
      throw new InvalidToken('the access token has no client_id');
    }
    if (claims.sub !== undefined && typeof claims.sub !== 'string') {
      throw new InvalidToken('the access token sub claim is invalid');
    }
    if (claims.scope !== undefined && typeof claims.scope !== 'string') {
      throw new InvalidToken('the access token scope claim is invalid');
    }
    const { active: _active, ...rest } = claims;
    return createAuthInfo(rest as AccessTokenClaims & { client_id: string }, 'introspection');
  }
}

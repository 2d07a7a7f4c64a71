/**
 * Verifies a JWT access token per RFC 9068 with the issuer's JWKS (found
 * through discovery, cached and refreshed on unknown `kid`s by jose's
 * `createRemoteJWKSet`).
 *
 * @packageDocumentation
 */

import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';

import { createAuthInfo, type AccessTokenClaims, type AuthInfo } from './auth-info.ts';
import type { Discovery } from './discovery.ts';
import { ApiGuardError, InvalidToken, TemporarilyUnavailable } from './errors.ts';
import type { ResolvedOptions } from './options.ts';

type RemoteJwks = ReturnType<typeof createRemoteJWKSet>;

const UNAVAILABLE = 'the authorization server is unavailable';

/**
 * Maps a jose error to the response it deserves. Descriptions are fixed
 * strings: jose messages are not forwarded.
 */
function toApiGuardError(err: unknown): ApiGuardError {
  if (err instanceof ApiGuardError) return err;
  if (err instanceof errors.JWTExpired) return new InvalidToken('the access token expired', { cause: err });
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason !== 'check_failed' && /^[a-z_]+$/.test(err.claim)) {
      const problem = err.reason === 'missing' ? `has no ${err.claim} claim` : `${err.claim} claim is invalid`;
      return new InvalidToken(`the access token ${problem}`, { cause: err });
    }
    switch (err.claim) {
      case 'iss':
        return new InvalidToken('the access token was issued by another issuer', { cause: err });
      case 'aud':
        return new InvalidToken('the access token is not intended for this resource server', { cause: err });
      case 'nbf':
      case 'iat':
        return new InvalidToken('the access token is not yet valid', { cause: err });
      case 'typ':
        return new InvalidToken('the access token type (typ) must be at+jwt', { cause: err });
      case 'exp':
        return new InvalidToken('the access token expired', { cause: err });
      default:
        return new InvalidToken('the access token claims are invalid', { cause: err });
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return new InvalidToken('the access token signing algorithm is not allowed', { cause: err });
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return new InvalidToken('the access token signature is invalid', { cause: err });
  }
  if (err instanceof errors.JWKSNoMatchingKey) {
    return new InvalidToken('no key of the issuer matches the access token', { cause: err });
  }
  if (err instanceof errors.JOSEError) return new InvalidToken('the access token is malformed', { cause: err });
  return new InvalidToken('the access token is malformed', { cause: err });
}

/**
 * Verifies JWT access tokens for one set of options.
 * @internal
 */
export class JwtVerifier {
  readonly #options: ResolvedOptions;
  readonly #discovery: Discovery;
  readonly #verifyOptions: JWTVerifyOptions;
  #jwks: { uri: string; set: RemoteJwks } | undefined;

  constructor(options: ResolvedOptions, discovery: Discovery) {
    this.#options = options;
    this.#discovery = discovery;
    this.#verifyOptions = {
      issuer: options.issuer,
      audience: [...options.audience],
      algorithms: [...options.algorithms],
      typ: 'at+jwt', // jose compares case-insensitively and accepts application/at+jwt
      clockTolerance: options.clockTolerance,
      requiredClaims: ['exp', 'iat', 'client_id'],
    };
  }

  /**
   * Verifies the token and returns the caller.
   * @throws {@link InvalidToken} for any problem with the token,
   *   {@link TemporarilyUnavailable} when discovery or the JWKS fail.
   */
  async verify(token: string): Promise<AuthInfo> {
    // Reject on the header alone before any network call.
    let alg: unknown;
    try {
      ({ alg } = decodeProtectedHeader(token));
    } catch (err) {
      throw new InvalidToken('the access token is malformed', { cause: err });
    }
    if (typeof alg !== 'string' || !(this.#options.algorithms as readonly string[]).includes(alg)) {
      throw new InvalidToken('the access token signing algorithm is not allowed');
    }

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#getKey, this.#verifyOptions));
    } catch (err) {
      if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw toApiGuardError(err);
      payload = await this.#verifyWithCandidates(token, err);
    }
    return this.#checkClaims(payload);
  }

  // Several JWKS keys match (e.g. no `kid`): try each, as jose's docs advise.
  async #verifyWithCandidates(token: string, candidates: AsyncIterable<CryptoKey>): Promise<JWTPayload> {
    for await (const key of candidates) {
      try {
        return (await jwtVerify(token, key, this.#verifyOptions)).payload;
      } catch (err) {
        if (!(err instanceof errors.JWSSignatureVerificationFailed)) throw toApiGuardError(err);
      }
    }
    throw new InvalidToken('the access token signature is invalid');
  }

  #checkClaims(payload: JWTPayload): AuthInfo {
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.iat === 'number' && payload.iat > now + this.#options.clockTolerance) {
      throw new InvalidToken('the access token is not yet valid');
    }
    if (typeof payload.client_id !== 'string' || payload.client_id === '') {
      throw new InvalidToken('the access token has no client_id claim');
    }
    if (payload.sub !== undefined && typeof payload.sub !== 'string') {
      throw new InvalidToken('the access token sub claim is invalid');
    }
    if (payload.scope !== undefined && typeof payload.scope !== 'string') {
      throw new InvalidToken('the access token scope claim is invalid');
    }
    // `cnf` (a sender-constrained token) is checked against the scheme used by token-binding.ts.
    return createAuthInfo(payload as AccessTokenClaims & { client_id: string }, 'jwt');
  }

  readonly #getKey: JWTVerifyGetKey<CryptoKey> = async (header, token) => {
    const set = await this.#remoteSet();
    try {
      return await set(header, token);
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys || err instanceof errors.JOSENotSupported) {
        throw err;
      }
      // Network errors, timeouts, non-200 answers, a malformed JWKS.
      throw new TemporarilyUnavailable(UNAVAILABLE, {
        cause: err,
        message: `api-guard: could not fetch the JWKS of issuer ${this.#options.issuer}: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  };

  async #remoteSet(): Promise<RemoteJwks> {
    const metadata = await this.#discovery.get();
    const uri = metadata.jwks_uri;
    if (uri === undefined) {
      throw new TemporarilyUnavailable(UNAVAILABLE, {
        message: `api-guard: the metadata of issuer ${this.#options.issuer} has no jwks_uri`,
      });
    }
    if (this.#jwks?.uri !== uri) {
      this.#jwks = {
        uri,
        set: createRemoteJWKSet(new URL(uri), {
          timeoutDuration: this.#options.timeout,
          cooldownDuration: this.#options.jwksCooldown * 1000,
        }),
      };
    }
    return this.#jwks.set;
  }
}

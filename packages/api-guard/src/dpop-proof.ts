/**
 * Verifies a DPoP proof (RFC 9449 §4.3) for one request: the `DPoP` header's
 * JWT, signed with the public key embedded in its header, bound to the
 * method, URL and access token of the request, fresh, unused, and carrying
 * the server nonce when nonces are on.
 *
 * @packageDocumentation
 */

import { createHash } from 'node:crypto';

import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, errors, jwtVerify, type JWK, type JWTPayload } from 'jose';

import { headerValues, type RawHeadersSource } from './bearer.ts';
import { DpopNonces } from './dpop-nonce.ts';
import type { ResolvedDpopOptions } from './dpop-options.ts';
import { InvalidDpopProof, UseDpopNonce } from './errors.ts';
import { ReplayCache } from './replay-cache.ts';

/** What the proof must match. @internal */
export interface ProofTarget {
  /** The request method, e.g. `GET`. */
  readonly method: string;
  /** The URL the client called, without query (see `dpop.publicUrl`). */
  readonly url: string;
  /** The access token of the `Authorization: DPoP` header. */
  readonly accessToken: string;
}

const MAX_PROOF_LENGTH = 8192;
// Members of private or symmetric JWKs (RFC 7518 §6): a proof must embed a public key only.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** base64url(SHA-256(value)): the `ath` of an access token (RFC 9449 §4.2). */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

/** Scheme, host, port and path: what `htu` is compared on (query and fragment ignored). */
function comparableUrl(value: string): string | undefined {
  try {
    const url = new URL(value);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return undefined;
  }
}

/** @internal */
export class DpopVerifier {
  readonly #options: ResolvedDpopOptions;
  readonly #clockTolerance: number;
  readonly #replays: ReplayCache;
  /** Set when server nonces are required. */
  readonly nonces: DpopNonces | undefined;

  constructor(options: ResolvedDpopOptions, clockTolerance: number) {
    this.#options = options;
    this.#clockTolerance = clockTolerance;
    this.#replays = new ReplayCache(options.replayCacheSize);
    this.nonces = options.nonce === undefined ? undefined : new DpopNonces(options.nonce);
  }

  /**
   * Checks the request's proof.
   * @returns The JWK SHA-256 thumbprint (RFC 7638) of the proof key, to compare with the token's `cnf.jkt`.
   * @throws {@link InvalidDpopProof} or {@link UseDpopNonce}.
   */
  async verify(req: RawHeadersSource, target: ProofTarget): Promise<string> {
    const values = headerValues(req, 'dpop');
    if (values.length === 0) throw new InvalidDpopProof('a DPoP proof header is required with the DPoP scheme');
    if (values.length > 1) throw new InvalidDpopProof('the request must carry exactly one DPoP header');
    const proof = values[0]!.trim();
    if (proof.length > MAX_PROOF_LENGTH) throw new InvalidDpopProof('the DPoP proof is too large');

    const jwk = this.#checkHeader(proof);
    const payload = await this.#checkSignature(proof);
    this.#checkClaims(payload, target);

    const jkt = await calculateJwkThumbprint(jwk, 'sha256');
    const nonces = this.nonces;
    if (nonces !== undefined && !nonces.isValid(payload.nonce)) {
      throw new UseDpopNonce(
        nonces.current(),
        payload.nonce === undefined ? 'the DPoP proof must carry the nonce from the DPoP-Nonce header' : 'the DPoP proof nonce is invalid or expired: use the one from the DPoP-Nonce header',
      );
    }
    // Last, so that only proofs that passed every check are remembered. The
    // key includes the thumbprint: one client's jti cannot block another's.
    const ttl = (this.#options.maxAge + 2 * this.#clockTolerance) * 1000;
    const replayKey = createHash('sha256')
      .update(`${jkt}:${String(payload.jti)}`)
      .digest('base64url');
    if (!this.#replays.add(replayKey, Date.now() + ttl)) throw new InvalidDpopProof('the DPoP proof was already used');
    return jkt;
  }

  #checkHeader(proof: string): JWK {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(proof);
    } catch (err) {
      throw new InvalidDpopProof('the DPoP proof is malformed', { cause: err });
    }
    if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== 'dpop+jwt') {
      throw new InvalidDpopProof('the DPoP proof type (typ) must be dpop+jwt');
    }
    const { alg, jwk } = header;
    if (typeof alg !== 'string' || alg.toLowerCase() === 'none') {
      throw new InvalidDpopProof('the DPoP proof must be signed (alg none is refused)');
    }
    if (!(this.#options.algorithms as readonly string[]).includes(alg)) {
      throw new InvalidDpopProof('the DPoP proof signing algorithm is not allowed');
    }
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
      throw new InvalidDpopProof('the DPoP proof header has no jwk');
    }
    if (jwk.kty === 'oct' || PRIVATE_MEMBERS.some((member) => member in jwk)) {
      throw new InvalidDpopProof('the DPoP proof jwk must be a public key');
    }
    return jwk;
  }

  async #checkSignature(proof: string): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: [...this.#options.algorithms],
        clockTolerance: this.#clockTolerance,
      });
      return payload;
    } catch (err) {
      if (err instanceof errors.JWSSignatureVerificationFailed) {
        throw new InvalidDpopProof('the DPoP proof signature is invalid', { cause: err });
      }
      throw new InvalidDpopProof('the DPoP proof is malformed', { cause: err });
    }
  }

  #checkClaims(payload: JWTPayload, target: ProofTarget): void {
    const { jti, htm, htu, iat, ath } = payload as JWTPayload & Record<'htm' | 'htu' | 'ath', unknown>;
    if (typeof jti !== 'string' || jti === '' || jti.length > 512) {
      throw new InvalidDpopProof('the DPoP proof has no valid jti claim');
    }
    if (htm !== target.method) throw new InvalidDpopProof('the DPoP proof htm does not match the request method');
    const expected = comparableUrl(target.url);
    if (typeof htu !== 'string' || expected === undefined || comparableUrl(htu) !== expected) {
      throw new InvalidDpopProof('the DPoP proof htu does not match the request URL');
    }
    if (typeof iat !== 'number') throw new InvalidDpopProof('the DPoP proof has no iat claim');
    const now = Date.now() / 1000;
    if (iat > now + this.#clockTolerance) throw new InvalidDpopProof('the DPoP proof iat is in the future');
    if (now - iat > this.#options.maxAge + this.#clockTolerance) throw new InvalidDpopProof('the DPoP proof is too old');
    if (ath === undefined) throw new InvalidDpopProof('the DPoP proof has no ath claim');
    if (ath !== accessTokenHash(target.accessToken)) {
      throw new InvalidDpopProof('the DPoP proof ath does not match the access token');
    }
  }
}

/**
 * DPoP proofs (RFC 9449 §4): a JWT signed with the session's DPoP key, with
 * the public key in its header, bound to one request (`htm`, `htu`), to the
 * access token it accompanies (`ath`) and, when the server asks, to its
 * nonce. Signed with node:crypto directly: one proof per proxied call.
 */
import { createHash, randomBytes, sign } from 'node:crypto';
import { dpopSigner, type DpopPrivateJwk } from './dpop-key.ts';

/** What a proof is bound to. */
export interface DpopProofClaims {
  /** The request's method. */
  htm: string;
  /** The request's URL; query and fragment are dropped (§4.2). */
  htu: string;
  /** The access token sent with the proof (resource requests), hashed into `ath`. */
  accessToken?: string;
  /** The server's last `DPoP-Nonce`. */
  nonce?: string;
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** `htu` as §4.2 wants it: the URL without query and fragment. */
export function proofUrl(url: string): string {
  const cut = url.search(/[?#]/);
  return cut < 0 ? url : url.slice(0, cut);
}

/** A signed proof for one request. */
export function createDpopProof(jwk: DpopPrivateJwk, claims: DpopProofClaims): string {
  const { key, alg, header } = dpopSigner(jwk);
  const payload = b64({
    jti: randomBytes(16).toString('base64url'),
    htm: claims.htm,
    htu: proofUrl(claims.htu),
    iat: Math.floor(Date.now() / 1000),
    ...(claims.accessToken ? { ath: createHash('sha256').update(claims.accessToken).digest('base64url') } : {}),
    ...(claims.nonce ? { nonce: claims.nonce } : {}),
  });
  const input = `${header}.${payload}`;
  const signature = alg === 'ES256' ? sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }) : sign(null, Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}

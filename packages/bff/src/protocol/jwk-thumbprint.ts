/**
 * RFC 7638 JWK thumbprint (SHA-256, base64url) of a public key: its required
 * members only, in lexicographic order. What a DPoP-bound token's `cnf.jkt`
 * names, and the `kid` of a client key that has none.
 */
import { createHash } from 'node:crypto';

/** The members a thumbprint reads (EC, OKP, RSA); any others, `d` included, are ignored. */
export interface ThumbprintJwk {
  kty?: string | undefined;
  crv?: string | undefined;
  x?: string | undefined;
  y?: string | undefined;
  e?: string | undefined;
  n?: string | undefined;
}

/** The thumbprint of `jwk`. */
export function jwkThumbprint(jwk: ThumbprintJwk): string {
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : jwk.kty === 'OKP' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x } : { e: jwk.e, kty: jwk.kty, n: jwk.n };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

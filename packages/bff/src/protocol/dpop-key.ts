/**
 * DPoP key pairs (RFC 9449): one per session, generated at login and kept
 * with the session's tokens (encrypted at rest, never sent to the browser),
 * so that a compromise of one instance's memory does not let every session's
 * tokens be replayed; one per instance for client-credentials tokens.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/** The proof algorithms the BFF can sign with. */
export type DpopAlgorithm = 'ES256' | 'EdDSA';
export const DPOP_ALGORITHMS: readonly DpopAlgorithm[] = ['ES256', 'EdDSA'];

/** A private DPoP key as stored with the session's tokens (a private JWK: `d` included). */
export interface DpopPrivateJwk {
  kty: 'EC' | 'OKP';
  crv: 'P-256' | 'Ed25519';
  x: string;
  y?: string;
  d: string;
}

/** The public half, as it goes into each proof's `jwk` header. */
export type DpopPublicJwk = Omit<DpopPrivateJwk, 'd'>;

/** A fresh key pair for `alg`, as a private JWK. */
export function generateDpopKey(alg: DpopAlgorithm): DpopPrivateJwk {
  const { privateKey } = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  return privateKey.export({ format: 'jwk' }) as DpopPrivateJwk;
}

/** The public members only, in the order of RFC 7638 (so the thumbprint and the header agree). */
export function publicDpopJwk(jwk: DpopPrivateJwk): DpopPublicJwk {
  return jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y! } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
}

/** The algorithm a stored key signs with. */
export function dpopAlgorithm(jwk: DpopPrivateJwk): DpopAlgorithm {
  return jwk.kty === 'EC' ? 'ES256' : 'EdDSA';
}

const MAX_CACHED = 1000;

/** A key ready to sign proofs: its KeyObject, algorithm and encoded proof header (the same for every proof). */
export interface DpopSigner {
  key: KeyObject;
  alg: DpopAlgorithm;
  /** base64url of `{"typ":"dpop+jwt","alg":…,"jwk":…}`. */
  header: string;
}

const signers = new Map<string, DpopSigner>();

/** The signer of a stored key; cached (bounded) by the private scalar, since every proxied call signs. */
export function dpopSigner(jwk: DpopPrivateJwk): DpopSigner {
  let signer = signers.get(jwk.d);
  if (!signer) {
    const alg = dpopAlgorithm(jwk);
    const header = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg, jwk: publicDpopJwk(jwk) })).toString('base64url');
    signer = { key: createPrivateKey({ key: { ...jwk }, format: 'jwk' }), alg, header };
    signers.set(jwk.d, signer);
    if (signers.size > MAX_CACHED) signers.delete(signers.keys().next().value as string);
  }
  return signer;
}

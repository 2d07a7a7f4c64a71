/**
 * The client's private key for `private_key_jwt` (RFC 7523): read once from
 * PEM (PKCS#8, SEC1 or PKCS#1) or a private JWK, its signing algorithm
 * derived from its type, and its public JWK for `GET /bff/jwks`.
 */
import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { jwkThumbprint } from './jwk-thumbprint.ts';

/** A private key as the options accept it: PEM text or a private JWK. */
export type ClientPrivateKeyInput = string | JsonWebKey;

/** The client key, ready to sign assertions. */
export interface ClientKey {
  key: KeyObject;
  alg: 'ES256' | 'ES384' | 'ES512' | 'PS256' | 'EdDSA';
  kid: string;
  /** The public JWK (`kid`, `alg`, `use: sig`): what the provider registers. */
  publicJwk: JsonWebKey;
}

/** Node's curve names → the JWS algorithm of that curve. */
const EC_ALGS: Record<string, ClientKey['alg']> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };

/** Reads the key; throws a `TypeError` saying what is wrong (never quoting the key). */
export function readClientKey(input: ClientPrivateKeyInput): ClientKey {
  let key: KeyObject;
  try {
    // A string is PEM, or a JWK as JSON (what a key file or an environment variable holds).
    const jwk = typeof input === 'string' && input.trimStart().startsWith('{') ? (JSON.parse(input) as JsonWebKey) : input;
    key = typeof jwk === 'string' ? createPrivateKey(jwk) : createPrivateKey({ key: jwk, format: 'jwk' });
    input = jwk;
  } catch {
    throw new TypeError('is not a private key (expected PEM such as "-----BEGIN PRIVATE KEY-----…" or a private JWK with "d")');
  }
  const alg = algorithmOf(key);
  const pub = createPublicKey(key).export({ format: 'jwk' });
  const given = typeof input === 'object' && typeof input['kid'] === 'string' ? input['kid'] : undefined;
  // Without a kid of its own, the RFC 7638 thumbprint: stable, so the registration keeps matching.
  const kid = given ?? jwkThumbprint(pub);
  return { key, alg, kid, publicJwk: { ...pub, kid, alg, use: 'sig' } };
}

function algorithmOf(key: KeyObject): ClientKey['alg'] {
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const alg = EC_ALGS[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (alg) return alg;
  }
  if (type === 'ed25519') return 'EdDSA';
  // RSA: PS256, the one RSA algorithm FAPI 2.0 allows.
  if ((type === 'rsa' || type === 'rsa-pss') && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) return 'PS256';
  throw new TypeError('must be an EC (P-256, P-384, P-521), Ed25519 or RSA (2048 bits or more) private key');
}

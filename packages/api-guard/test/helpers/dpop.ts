// DPoP proofs minted with jose (RFC 9449 §4.2), with knobs to break each check.
import { createHash, randomUUID } from 'node:crypto';

import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface DpopKey {
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  privateJwk: JWK;
  /** RFC 7638 SHA-256 thumbprint: the token's `cnf.jkt`. */
  jkt: string;
}

export async function createDpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, privateJwk: await exportJWK(privateKey), jkt: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

export const ath = (token: string) => createHash('sha256').update(token).digest('base64url');

export interface ProofInput {
  htm: string;
  htu: string;
  /** The access token, hashed into `ath`. */
  token?: string;
  /** Claims to add or override (`undefined` removes one). */
  claims?: Record<string, unknown>;
  /** Header members to add or override. */
  header?: Record<string, unknown>;
  /** Sign with this key instead (the header still embeds `key`'s public JWK). */
  signWith?: CryptoKey;
}

export async function createProof(key: DpopKey, { htm, htu, token, claims = {}, header = {}, signWith }: ProofInput): Promise<string> {
  const payload: Record<string, unknown> = {
    jti: randomUUID(),
    htm,
    htu,
    iat: Math.floor(Date.now() / 1000),
    ...(token === undefined ? {} : { ath: ath(token) }),
    ...claims,
  };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.publicJwk, ...header }).sign(signWith ?? key.privateKey);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsigned proof (`alg: none`), which jose refuses to make. */
export function unsignedProof(key: DpopKey, claims: Record<string, unknown>): string {
  return `${b64({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk })}.${b64({ jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ...claims })}.`;
}

/**
 * The client side of the demo provider's FAPI 2 mode, for the demo's own
 * machine client (demo/job.ts): private_key_jwt client assertions and DPoP
 * proofs (RFC 9449), with jose. The BFF has its own implementation.
 */
import { createECDH, createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';

const b64 = (bytes: Buffer) => bytes.toString('base64url');

/**
 * An ES256 key pair derived from `secret` (d = SHA-256 of it): two processes
 * given the same secret (the demo's provider, and the job run beside it) agree
 * on the key without one more variable or a key file. Only as secret as
 * `secret`: dev use only.
 */
export function es256KeyFromSecret(secret: string, kid: string): { privateJwk: JWK; publicJwk: JWK } {
  const d = createHash('sha256').update(`portcullis-demo-client-key\0${secret}`).digest();
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey(); // uncompressed: 0x04 || x || y
  const publicJwk: JWK = { kty: 'EC', crv: 'P-256', x: b64(point.subarray(1, 33)), y: b64(point.subarray(33)), kid, alg: 'ES256', use: 'sig' };
  return { publicJwk, privateJwk: { ...publicJwk, d: b64(d) } };
}

/**
 * A client's private_key_jwt key pair: EC P-256 (ES256), `kid` = its RFC 7638
 * thumbprint (what the BFF derives too when a key comes without a kid).
 */
export async function generateClientKey(): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const meta = { kid: await calculateJwkThumbprint(publicJwk), alg: 'ES256', use: 'sig' };
  return { privateJwk: { ...(await exportJWK(privateKey)), ...meta }, publicJwk: { ...publicJwk, ...meta } };
}

/** A private_key_jwt assertion (RFC 7523) for one request: `aud` is the issuer, as FAPI 2.0 asks. */
export async function clientAssertion(clientId: string, issuer: string, privateJwk: JWK): Promise<string> {
  const alg = privateJwk.alg ?? 'ES256';
  const key = await importJWK(privateJwk, alg);
  return new SignJWT({})
    .setProtectedHeader({ alg, ...(privateJwk.kid ? { kid: privateJwk.kid } : {}) })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(issuer)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime('60s')
    .sign(key);
}

/** A DPoP key pair: the private key signs proofs, the public JWK goes in their header. */
export interface DpopKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** RFC 7638 thumbprint: the `cnf.jkt` of tokens bound to this key. */
  thumbprint: string;
}

/** A fresh ES256 DPoP key pair (kept in memory only). */
export async function generateDpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk) };
}

/** A DPoP proof for `method url`, with `ath` when an access token goes along. */
export async function dpopProof(key: DpopKey, method: string, url: string, extra: { accessToken?: string; nonce?: string } = {}): Promise<string> {
  const htu = new URL(url);
  htu.search = '';
  htu.hash = '';
  return new SignJWT({
    htm: method,
    htu: htu.href,
    ...(extra.accessToken ? { ath: b64(createHash('sha256').update(extra.accessToken).digest()) } : {}),
    ...(extra.nonce ? { nonce: extra.nonce } : {}),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk })
    .setJti(randomUUID())
    .setIssuedAt()
    .sign(key.privateKey);
}

async function asksForNonce(response: Response): Promise<boolean> {
  if (!response.headers.get('dpop-nonce')) return false;
  if (response.status === 401) return /error="use_dpop_nonce"/.test(response.headers.get('www-authenticate') ?? '');
  if (response.status !== 400) return false;
  const body = (await response
    .clone()
    .json()
    .catch(() => undefined)) as { error?: unknown } | undefined;
  return body?.error === 'use_dpop_nonce';
}

/**
 * `fetch` with a DPoP proof; when the server answers `use_dpop_nonce`, once
 * more with its nonce. The body is made per attempt: a client assertion must
 * be new each time (the provider already spent the first one's `jti`).
 */
export async function fetchWithDpop(key: DpopKey, url: string, init: Omit<RequestInit, 'body'> & { body?: () => Promise<BodyInit> }, accessToken?: string): Promise<Response> {
  const { body: makeBody, ...rest } = init;
  const method = (rest.method ?? 'GET').toUpperCase();
  let nonce: string | undefined;
  for (let attempt = 0; ; attempt++) {
    const headers = new Headers(rest.headers);
    headers.set('dpop', await dpopProof(key, method, url, { ...(accessToken ? { accessToken } : {}), ...(nonce ? { nonce } : {}) }));
    const body = makeBody ? await makeBody() : undefined;
    const response = await fetch(url, { ...rest, method, headers, ...(body === undefined ? {} : { body }) });
    if (attempt > 0 || !(await asksForNonce(response))) return response;
    nonce = response.headers.get('dpop-nonce')!;
    await response.body?.cancel();
  }
}

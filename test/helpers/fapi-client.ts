/**
 * A small hand-written FAPI 2.0 client for tests, with jose only:
 * private_key_jwt client assertions (RFC 7523), DPoP proofs (RFC 9449),
 * pushed authorization requests (RFC 9126) and PKCE. Every step can be
 * changed or left out, so tests can also send what a provider must refuse.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  pushed_authorization_request_endpoint: string;
  end_session_endpoint: string;
  jwks_uri: string;
  [key: string]: unknown;
}

/** A key pair: the private key signs, the public JWK is published or sent. */
export interface KeyPair {
  privateKey: CryptoKey;
  publicJwk: JWK;
  privateJwk: JWK;
  /** RFC 7638 thumbprint of the public key. */
  thumbprint: string;
}

/** A fresh key pair for `alg` (ES256 by default), with a kid. */
export async function generateKey(alg: 'ES256' | 'PS256' | 'RS256' | 'EdDSA' = 'ES256'): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomBytes(6).toString('hex');
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
  return { privateKey, publicJwk, privateJwk, thumbprint: await calculateJwkThumbprint(publicJwk) };
}

export const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface PostOptions {
  /** DPoP key for the proof; `null` sends none. Default: the client's DPoP key. */
  dpop?: KeyPair | null;
  /** Client authentication form fields; `null` sends none. Default: a fresh assertion. */
  auth?: Record<string, string> | null;
  headers?: Record<string, string>;
}

export interface PostResult {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
  /** How many requests were sent (2 after a use_dpop_nonce retry). */
  attempts: number;
}

export class FapiClient {
  /** The latest DPoP nonce the provider gave (RFC 9449 §8). */
  nonce: string | undefined;

  private constructor(
    readonly metadata: ProviderMetadata,
    readonly clientId: string,
    readonly clientKey: KeyPair,
    readonly dpopKey: KeyPair,
  ) {}

  static async create(issuer: string, clientId: string, clientKey: KeyPair): Promise<FapiClient> {
    const response = await fetch(`${issuer}/.well-known/openid-configuration`);
    const metadata = (await response.json()) as ProviderMetadata;
    return new FapiClient(metadata, clientId, clientKey, await generateKey('ES256'));
  }

  /** A client assertion; `claims` and `header` override the defaults (`aud` = the issuer). */
  async assertion(options: { key?: KeyPair; claims?: Record<string, unknown>; header?: Record<string, unknown> } = {}): Promise<string> {
    const key = options.key ?? this.clientKey;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: this.clientId, sub: this.clientId, aud: this.metadata.issuer, jti: randomUUID(), iat: now, exp: now + 60, ...options.claims })
      .setProtectedHeader({ alg: key.publicJwk.alg!, kid: key.publicJwk.kid!, ...options.header })
      .sign(await importJWK(key.privateJwk, key.publicJwk.alg));
  }

  /** Form fields of private_key_jwt with a fresh assertion. */
  async assertionFields(options: Parameters<FapiClient['assertion']>[0] = {}): Promise<Record<string, string>> {
    return { client_assertion_type: ASSERTION_TYPE, client_assertion: await this.assertion(options) };
  }

  /** A DPoP proof for `method url`; `claims` override (e.g. a wrong `htu`). */
  async proof(method: string, url: string, options: { key?: KeyPair; accessToken?: string; nonce?: string; claims?: Record<string, unknown> } = {}): Promise<string> {
    const key = options.key ?? this.dpopKey;
    const htu = new URL(url);
    htu.search = '';
    const payload: Record<string, unknown> = { htm: method, htu: htu.href, jti: randomUUID(), iat: Math.floor(Date.now() / 1000) };
    if (options.accessToken) payload['ath'] = sha256(options.accessToken);
    if (options.nonce) payload['nonce'] = options.nonce;
    const { kid: _kid, alg, use: _use, ...jwk } = key.publicJwk;
    return new SignJWT({ ...payload, ...options.claims }).setProtectedHeader({ alg: alg!, typ: 'dpop+jwt', jwk }).sign(key.privateKey);
  }

  /**
   * POSTs a form to a provider endpoint with client authentication and a DPoP
   * proof (by default), retrying once with a new proof and a new assertion
   * when the provider answers `use_dpop_nonce`.
   */
  async post(url: string, params: Record<string, string>, options: PostOptions = {}): Promise<PostResult> {
    const dpop = options.dpop === undefined ? this.dpopKey : options.dpop;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { ...options.headers };
      if (dpop) headers['dpop'] = await this.proof('POST', url, { key: dpop, ...(this.nonce ? { nonce: this.nonce } : {}) });
      const auth = options.auth === undefined ? await this.assertionFields() : options.auth;
      const response = await fetch(url, { method: 'POST', headers, body: new URLSearchParams({ ...params, ...auth }) });
      const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
      const nonce = response.headers.get('dpop-nonce');
      if (nonce) this.nonce = nonce;
      if (body['error'] === 'use_dpop_nonce' && nonce && attempt === 1 && dpop) continue;
      return { status: response.status, body, headers: response.headers, attempts: attempt };
    }
  }

  /** A pushed authorization request for the code flow with PKCE S256; returns what the browser needs and what the client keeps. */
  async par(params: Record<string, string>, options: PostOptions = {}) {
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(8).toString('hex');
    const nonce = randomBytes(8).toString('hex');
    const result = await this.post(
      this.metadata.pushed_authorization_request_endpoint,
      { client_id: this.clientId, response_type: 'code', state, nonce, code_challenge: sha256(verifier), code_challenge_method: 'S256', ...params },
      options,
    );
    const authorizationUrl = new URL(this.metadata.authorization_endpoint);
    if (typeof result.body['request_uri'] === 'string') {
      authorizationUrl.search = new URLSearchParams({ client_id: this.clientId, request_uri: result.body['request_uri'] }).toString();
    }
    return { ...result, authorizationUrl, verifier, state, nonce };
  }

  /** A token request (code, refresh, client credentials). */
  token(params: Record<string, string>, options: PostOptions = {}): Promise<PostResult> {
    return this.post(this.metadata.token_endpoint, params, options);
  }

  /** Calls a resource with `Authorization: DPoP` and a proof (`key` default: the client's DPoP key). */
  async callApi(url: string, accessToken: string, init: { method?: string; body?: string; key?: KeyPair; scheme?: 'DPoP' | 'Bearer'; proof?: boolean } = {}): Promise<Response> {
    const method = init.method ?? 'GET';
    const headers: Record<string, string> = { authorization: `${init.scheme ?? 'DPoP'} ${accessToken}` };
    if (init.proof ?? init.scheme !== 'Bearer') headers['dpop'] = await this.proof(method, url, { accessToken, ...(init.key ? { key: init.key } : {}) });
    if (init.body) headers['content-type'] = 'application/json';
    return fetch(url, { method, headers, ...(init.body ? { body: init.body } : {}) });
  }
}

/**
 * How an access token is presented to a resource (an API, userinfo): as
 * `Authorization: Bearer`, or, for a token the provider bound to a DPoP key
 * (`token_type: DPoP`), as `Authorization: DPoP` with a proof signed for that
 * very request (RFC 9449 §7.1: method, URL, token hash, the server's nonce).
 * One place for the proxy, userinfo and the application's own routes.
 */
import type { DpopPrivateJwk } from './dpop-key.ts';
import { createDpopProof } from './dpop-proof.ts';

/** A token and how it is presented. */
export type AccessCredential = { scheme: 'Bearer'; token: string } | { scheme: 'DPoP'; token: string; key: DpopPrivateJwk };

/** The credential of a token set: DPoP when the token is bound and its key is at hand, else Bearer. */
export function credentialOf(tokens: { accessToken: string; tokenType?: 'Bearer' | 'DPoP' | undefined; dpopKey?: DpopPrivateJwk | undefined }): AccessCredential {
  return tokens.tokenType === 'DPoP' && tokens.dpopKey ? { scheme: 'DPoP', token: tokens.accessToken, key: tokens.dpopKey } : { scheme: 'Bearer', token: tokens.accessToken };
}

/** The headers presenting `credential` on a `method` request to `url` (with the server's last DPoP nonce, if any). */
export function authorizationOf(credential: AccessCredential, request: { method: string; url: string; nonce?: string | undefined }): { authorization: string; dpop?: string } {
  if (credential.scheme === 'Bearer') return { authorization: `Bearer ${credential.token}` };
  const dpop = createDpopProof(credential.key, { htm: request.method, htu: request.url, accessToken: credential.token, nonce: request.nonce });
  return { authorization: `DPoP ${credential.token}`, dpop };
}

/**
 * The userinfo endpoint (OIDC Core §5.3), for providers whose ID token is
 * thin (Keycloak, Entra ID): claims fetched with the access token, JSON or a
 * signed JWT (verified against the provider's keys), and only accepted when
 * their `sub` is the ID token's (§5.3.2: otherwise they MUST NOT be used).
 */
import { jwtVerify, type JWTVerifyGetKey } from 'jose';
import { InvalidToken, TemporarilyUnavailable } from '../errors.ts';
import { authorizationOf, type AccessCredential } from './access-credential.ts';

/** What a signed userinfo response is verified against. */
export interface UserinfoVerification {
  keys(): Promise<JWTVerifyGetKey>;
  issuer: string;
  clientId: string;
}

/** Largest userinfo response read. */
const MAX_BYTES = 64 * 1024;

/**
 * GETs `endpoint` with the access token (a DPoP-bound one with a proof, carrying the provider's
 * last `nonce`); the claims, whose `sub` equals `sub`.
 */
export async function fetchUserinfo(endpoint: string, credential: AccessCredential, sub: string, verify: UserinfoVerification, nonce?: string): Promise<Record<string, unknown>> {
  const headers = { accept: 'application/json, application/jwt', ...authorizationOf(credential, { method: 'GET', url: endpoint, nonce }) };
  let response: Response;
  try {
    response = await fetch(endpoint, { headers, redirect: 'error', signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new TemporarilyUnavailable('The identity provider could not be reached: try again shortly.', { cause: err });
  }
  if (response.status >= 500) throw new TemporarilyUnavailable(`The provider's userinfo endpoint answered ${response.status}.`);
  if (response.status !== 200) throw new InvalidToken(`The provider's userinfo endpoint refused the access token (${response.status}).`);
  const text = await response.text();
  if (text.length > MAX_BYTES) throw new InvalidToken('The userinfo response is too large.');
  let claims: Record<string, unknown>;
  if (/^application\/jwt/i.test(response.headers.get('content-type') ?? '')) {
    try {
      ({ payload: claims } = await jwtVerify(text.trim(), await verify.keys(), { issuer: verify.issuer, audience: verify.clientId }));
    } catch (err) {
      throw new InvalidToken('The signed userinfo response was rejected.', { cause: err });
    }
  } else {
    try {
      claims = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new InvalidToken('The userinfo response is not JSON.');
    }
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new InvalidToken('The userinfo response is not a JSON object.');
  }
  if (claims['sub'] !== sub) throw new InvalidToken('The userinfo response is about another subject than the ID token.');
  return claims;
}

/**
 * ID token verification with jose. oidc-client-ts decodes ID tokens but does
 * not check their signatures, so every ID token is verified here before any
 * claim is trusted.
 */
import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { InvalidToken } from '../errors.ts';

/** What an ID token must match. */
export interface IdTokenExpectations {
  issuer: string;
  clientId: string;
  algorithms: string[];
  clockTolerance: number;
  /** The nonce sent in the authorization request; omitted for refresh responses (OIDC Core §12.2). */
  nonce?: string;
  /** The subject it must be about (refresh responses: the session's `sub`). */
  sub?: string;
  /** Oldest acceptable `iat`, in seconds before now. */
  maxAgeSeconds: number;
}

/** Verifies signature, `iss`, `aud`, `azp`, `exp`, `iat`, `nonce` and `sub`; returns the claims. */
export async function verifyIdToken(idToken: string, keys: JWTVerifyGetKey, expect: IdTokenExpectations): Promise<JWTPayload & { sub: string }> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, keys, {
      issuer: expect.issuer,
      audience: expect.clientId,
      algorithms: expect.algorithms,
      clockTolerance: expect.clockTolerance,
      maxTokenAge: expect.maxAgeSeconds,
      requiredClaims: ['sub', 'iat', 'exp'],
    }));
  } catch (err) {
    throw new InvalidToken(`The ID token was rejected: ${describe(err)}.`, { cause: err });
  }
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.iat === 'number' && payload.iat > now + expect.clockTolerance) throw new InvalidToken('The ID token was rejected: it was issued in the future.');
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload['azp'] !== expect.clientId) throw new InvalidToken('The ID token was rejected: azp does not name this client.');
  if (expect.nonce !== undefined && payload['nonce'] !== expect.nonce) throw new InvalidToken('The ID token was rejected: nonce mismatch.');
  if (expect.sub !== undefined && payload.sub !== expect.sub) throw new InvalidToken('The ID token was rejected: it is about another subject.');
  if (typeof payload.sub !== 'string' || !payload.sub) throw new InvalidToken('The ID token was rejected: no sub.');
  return payload as JWTPayload & { sub: string };
}

function describe(err: unknown): string {
  if (err instanceof errors.JWTClaimValidationFailed) return `claim "${err.claim}" ${err.reason === 'check_failed' ? 'is wrong' : err.reason}`;
  if (err instanceof errors.JWTExpired) return 'it has expired';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'its algorithm is not allowed';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof errors.JWKSNoMatchingKey) return 'no provider key matches it';
  if (err instanceof errors.JOSEError) return err.code;
  return 'it could not be verified';
}

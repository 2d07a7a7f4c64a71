/**
 * Logout token verification (OpenID Connect Back-Channel Logout 1.0 §2.6):
 * signature through the provider's JWKS, iss, aud = client id, iat within a
 * window, the back-channel-logout event, `sid` and/or `sub`, no `nonce`
 * (so an ID token cannot be passed off as a logout token), and a `jti`
 * never seen before.
 */
import { jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** What a valid logout token says. */
export interface LogoutTokenClaims {
  jti: string;
  sub?: string;
  sid?: string;
}

/** Why a logout token was refused (shown as the 400's description). */
export class LogoutTokenError extends Error {}

/** What a logout token must match. */
export interface LogoutTokenExpectations {
  issuer: string;
  clientId: string;
  algorithms: string[];
  clockTolerance: number;
  /** How old `iat` may be, in seconds. */
  maxAgeSeconds: number;
}

/** Verifies a logout token and returns its claims; throws {@link LogoutTokenError}. */
export async function verifyLogoutToken(token: string, keys: JWTVerifyGetKey, expect: LogoutTokenExpectations): Promise<LogoutTokenClaims> {
  let payload: JWTPayload;
  let typ: string | undefined;
  try {
    const result = await jwtVerify(token, keys, {
      issuer: expect.issuer,
      audience: expect.clientId,
      algorithms: expect.algorithms,
      clockTolerance: expect.clockTolerance,
      maxTokenAge: expect.maxAgeSeconds,
      requiredClaims: ['iat', 'jti', 'events'],
    });
    payload = result.payload;
    typ = result.protectedHeader.typ;
  } catch (err) {
    throw new LogoutTokenError(`the logout token could not be verified (${(err as { code?: string }).code ?? 'invalid'})`);
  }
  if (typ !== undefined && !/^(application\/)?logout\+jwt$/i.test(typ) && typ.toUpperCase() !== 'JWT') throw new LogoutTokenError(`typ "${typ}" is not a logout token type`);
  const now = Math.floor(Date.now() / 1000);
  if ((payload.iat ?? 0) > now + expect.clockTolerance) throw new LogoutTokenError('iat is in the future');
  const events = payload['events'];
  if (typeof events !== 'object' || events === null || typeof (events as Record<string, unknown>)[EVENT] !== 'object') throw new LogoutTokenError('events lacks the back-channel logout event');
  if ('nonce' in payload) throw new LogoutTokenError('a logout token must not contain a nonce');
  const sub = typeof payload.sub === 'string' && payload.sub ? payload.sub : undefined;
  const sid = typeof payload['sid'] === 'string' && payload['sid'] ? (payload['sid'] as string) : undefined;
  if (!sub && !sid) throw new LogoutTokenError('neither sid nor sub is present');
  if (typeof payload.jti !== 'string' || !payload.jti) throw new LogoutTokenError('jti is missing');
  return { jti: payload.jti, ...(sub ? { sub } : {}), ...(sid ? { sid } : {}) };
}

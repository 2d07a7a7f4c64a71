/**
 * Logout token verification (OpenID Connect Back-Channel Logout 1.0 §2.6,
 * errata set 1): signature through the provider's JWKS, iss, aud = client
 * id, `iat` within a window, `exp` present (REQUIRED since errata 1) and at
 * most {@link MAX_LIFETIME_SECONDS} after `iat`, the back-channel-logout
 * event, `sid` and/or `sub`, no `nonce` (so an ID token cannot be passed off
 * as a logout token), a `jti`. A `typ` header, when present, must be
 * `logout+jwt` (§2.4; `JWT` is what an ID token or access token may carry,
 * and Nimbus and oidc-provider judge the same way), or one of the values the
 * provider profile adds (`expect.typ`: Keycloak before 25 sends `JWT`, see
 * `LOGOUT_TOKEN_TYPES` in profiles.ts). Tokens without `typ` are accepted:
 * explicit typing is RECOMMENDED, not required, and the rules above already
 * tell logout tokens apart. The caller keeps the replay check (`jti` seen
 * once).
 */
import { jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** Longest accepted `exp - iat`. The acceptance window itself is `iat` + `maxAgeSeconds`. */
export const MAX_LIFETIME_SECONDS = 3600;
/** Longest accepted `jti` (it becomes a store key). */
const MAX_JTI_LENGTH = 256;

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
  /** `typ` values accepted besides `logout+jwt` (a provider profile's, e.g. `['JWT']`). Default none. */
  typ?: readonly string[] | undefined;
}

/** A `typ` value without the optional `application/` prefix, lowercased (RFC 7515 §4.1.9: media types compare case-insensitively). */
const mediaType = (typ: string): string => typ.toLowerCase().replace(/^application\//, '');

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
      requiredClaims: ['iat', 'exp', 'jti', 'events'],
    });
    payload = result.payload;
    typ = result.protectedHeader.typ;
  } catch (err) {
    throw new LogoutTokenError(`the logout token could not be verified (${(err as { code?: string }).code ?? 'invalid'})`);
  }
  const types = ['logout+jwt', ...(expect.typ ?? [])];
  if (typ !== undefined && !types.some((accepted) => mediaType(accepted) === mediaType(typ))) throw new LogoutTokenError(`typ "${typ.slice(0, 40)}" is not ${types.join(' or ')}`);
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.exp !== 'number' || typeof payload.iat !== 'number' || payload.exp - payload.iat > MAX_LIFETIME_SECONDS)
    throw new LogoutTokenError(`exp must be at most ${MAX_LIFETIME_SECONDS} s after iat`);
  if ((payload.iat ?? 0) > now + expect.clockTolerance) throw new LogoutTokenError('iat is in the future');
  const events = payload['events'];
  if (typeof events !== 'object' || events === null || typeof (events as Record<string, unknown>)[EVENT] !== 'object') throw new LogoutTokenError('events lacks the back-channel logout event');
  if ('nonce' in payload) throw new LogoutTokenError('a logout token must not contain a nonce');
  const sub = typeof payload.sub === 'string' && payload.sub ? payload.sub : undefined;
  const sid = typeof payload['sid'] === 'string' && payload['sid'] ? (payload['sid'] as string) : undefined;
  if (!sub && !sid) throw new LogoutTokenError('neither sid nor sub is present');
  if (typeof payload.jti !== 'string' || !payload.jti || payload.jti.length > MAX_JTI_LENGTH) throw new LogoutTokenError('jti is missing or too long');
  return { jti: payload.jti, ...(sub ? { sub } : {}), ...(sid ? { sid } : {}) };
}

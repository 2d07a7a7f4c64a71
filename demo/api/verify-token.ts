import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';

/**
 * Access-token verification for the todo API, kept in one file so it can be
 * swapped for @portcullis/api-guard.
 */

export interface VerifiedAccessToken {
  sub?: string;
  clientId?: string;
  scopes: string[];
  payload: JWTPayload;
}

export interface TokenVerifierOptions {
  issuer: string;
  audience: string;
  /** For tests: the clock used to check exp/nbf. */
  currentDate?: () => Date;
}

/** Thrown for any token that must be answered with 401 invalid_token. */
export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

export type TokenVerifier = (token: string) => Promise<VerifiedAccessToken>;

async function discoverJwksUri(issuer: string): Promise<URL> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`discovery failed: ${res.status} from ${url}`);
  const doc = (await res.json()) as { issuer?: string; jwks_uri?: string };
  if (doc.issuer !== issuer) throw new Error(`discovery issuer mismatch: ${doc.issuer}`);
  if (!doc.jwks_uri) throw new Error('discovery document has no jwks_uri');
  return new URL(doc.jwks_uri);
}

function describe(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'the access token expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim "${err.claim}" is invalid (${err.reason})`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature verification failed';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'no key matches the token';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return 'malformed token';
  return 'the access token is invalid';
}

export function createTokenVerifier({ issuer, audience, currentDate }: TokenVerifierOptions): TokenVerifier {
  // Resolved lazily (the provider may start after the API) and retried after a failure.
  let jwks: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const getJwks = () => {
    jwks ??= discoverJwksUri(issuer).then(
      // No cooldown: an unknown kid (key rotation) refetches the JWKS at once.
      (uri) => createRemoteJWKSet(uri, { cooldownDuration: 0, cacheMaxAge: 10 * 60_000 }),
      (err: unknown) => {
        jwks = undefined;
        throw err;
      },
    );
    return jwks;
  };

  return async (token) => {
    let keySet: ReturnType<typeof createRemoteJWKSet>;
    try {
      keySet = await getJwks();
    } catch {
      throw new InvalidTokenError('the token issuer is unavailable');
    }
    let payload: JWTPayload;
    let typ: string | undefined;
    try {
      ({ payload, protectedHeader: { typ } } = await jwtVerify(token, keySet, {
        issuer,
        audience,
        algorithms: ['RS256', 'PS256', 'ES256'],
        ...(currentDate ? { currentDate: currentDate() } : {}),
      }));
    } catch (err) {
      throw new InvalidTokenError(describe(err));
    }
    // RFC 9068: access tokens are typed, so an ID token cannot be replayed here.
    if (typ?.toLowerCase() !== 'at+jwt' && typ?.toLowerCase() !== 'application/at+jwt') {
      throw new InvalidTokenError('not an access token (typ must be at+jwt)');
    }
    const clientId = typeof payload.client_id === 'string' ? payload.client_id : undefined;
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
    return { sub: payload.sub, clientId, scopes, payload };
  };
}

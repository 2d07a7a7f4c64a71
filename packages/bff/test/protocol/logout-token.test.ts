/**
 * verifyLogoutToken's `typ` rule, strict by default and relaxed only where a
 * provider profile says its provider types logout tokens otherwise: Keycloak
 * before 25 sends `typ: JWT` (keycloak/keycloak#28939), every other profile
 * refuses it. The other rules still refuse an ID token typed `JWT`.
 */
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTVerifyGetKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { LogoutTokenError, verifyLogoutToken, type LogoutTokenExpectations } from '../../src/protocol/logout-token.ts';
import { LOGOUT_TOKEN_TYPES, PROVIDER_NAMES, type ProviderName } from '../../src/protocol/profiles.ts';

const ISSUER = 'https://id.example.com/realms/app';
const CLIENT = 'portcullis-app';
const EVENT = { 'http://schemas.openid.net/event/backchannel-logout': {} };

let privateKey: CryptoKey;
let jwks: JWTVerifyGetKey;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] });
});

/** What the back-channel endpoint expects with the `provider` profile `name`. */
const expectationsOf = (name: ProviderName): LogoutTokenExpectations => ({
  issuer: ISSUER,
  clientId: CLIENT,
  algorithms: ['RS256'],
  clockTolerance: 5,
  maxAgeSeconds: 120,
  typ: LOGOUT_TOKEN_TYPES[name],
});

/** A logout token signed with the provider's key; `typ` undefined leaves the header out. */
const logoutToken = (typ: string | undefined, payload: Record<string, unknown> = { sub: 'alice', sid: 's-1', events: EVENT }) =>
  new SignJWT({ jti: crypto.randomUUID(), ...payload })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1', ...(typ === undefined ? {} : { typ }) })
    .setIssuer(ISSUER)
    .setAudience(CLIENT)
    .setIssuedAt()
    .setExpirationTime('2m')
    .sign(privateKey);

const refusal = async (promise: Promise<unknown>): Promise<LogoutTokenError> => {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LogoutTokenError);
  return err as LogoutTokenError;
};

describe('logout token typ', () => {
  it('generic: logout+jwt (any case, with or without application/) and no typ pass', async () => {
    for (const typ of ['logout+jwt', 'Logout+JWT', 'application/logout+jwt', undefined]) {
      await expect(verifyLogoutToken(await logoutToken(typ), jwks, expectationsOf('generic'))).resolves.toMatchObject({ sub: 'alice', sid: 's-1' });
    }
  });

  it('generic: typ JWT is refused (what an ID or access token carries)', async () => {
    for (const typ of ['JWT', 'jwt', 'application/jwt']) {
      const err = await refusal(verifyLogoutToken(await logoutToken(typ), jwks, expectationsOf('generic')));
      expect(err.message).toBe(`typ "${typ}" is not logout+jwt`);
    }
  });

  it('keycloak: typ JWT passes (Keycloak before 25), logout+jwt and no typ still do', async () => {
    for (const typ of ['JWT', 'jwt', 'application/jwt', 'logout+jwt', undefined]) {
      await expect(verifyLogoutToken(await logoutToken(typ), jwks, expectationsOf('keycloak'))).resolves.toMatchObject({ sub: 'alice', sid: 's-1' });
    }
  });

  it('keycloak: other types are still refused', async () => {
    for (const typ of ['at+jwt', 'secevent+jwt', 'JOSE', 'JWTX']) {
      const err = await refusal(verifyLogoutToken(await logoutToken(typ), jwks, expectationsOf('keycloak')));
      expect(err.message).toBe(`typ "${typ}" is not logout+jwt or JWT`);
    }
  });

  it('keycloak: an ID token typed JWT is still no logout token (nonce, no back-channel event)', async () => {
    const idToken = await logoutToken('JWT', { sub: 'alice', sid: 's-1', nonce: 'n-1' });
    expect((await refusal(verifyLogoutToken(idToken, jwks, expectationsOf('keycloak')))).message).toBe('the logout token could not be verified (ERR_JWT_CLAIM_VALIDATION_FAILED)');
    const otherEvent = await logoutToken('JWT', { sub: 'alice', sid: 's-1', events: { 'https://example.com/event': {} } });
    expect((await refusal(verifyLogoutToken(otherEvent, jwks, expectationsOf('keycloak')))).message).toBe('events lacks the back-channel logout event');
    const withNonce = await logoutToken('JWT', { sub: 'alice', sid: 's-1', events: EVENT, nonce: 'n-1' });
    expect((await refusal(verifyLogoutToken(withNonce, jwks, expectationsOf('keycloak')))).message).toBe('a logout token must not contain a nonce');
  });

  it('only the keycloak profile relaxes the rule', () => {
    for (const name of PROVIDER_NAMES) expect(LOGOUT_TOKEN_TYPES[name]).toEqual(name === 'keycloak' ? ['JWT'] : []);
  });

  it('without typ expectations (the default) the rule is strict', async () => {
    const { typ: _, ...strict } = expectationsOf('keycloak');
    expect((await refusal(verifyLogoutToken(await logoutToken('JWT'), jwks, strict))).message).toBe('typ "JWT" is not logout+jwt');
  });
});

import { exportJWK, exportSPKI, SignJWT, base64url } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { Discovery } from '../src/discovery.ts';
import { InvalidToken, TemporarilyUnavailable } from '../src/errors.ts';
import { resolveOptions, type RequireAccessTokenOptions } from '../src/options.ts';
import { JwtVerifier } from '../src/verify-jwt.ts';
import { AUDIENCE, CLIENT_ID, createSigningKey, startAuthorizationServer, type FakeAuthorizationServer } from './helpers/authorization-server.ts';

let as: FakeAuthorizationServer;

beforeEach(async () => {
  as = await startAuthorizationServer();
});
afterEach(async () => {
  vi.useRealTimers();
  await as.close();
});

function verifier(options: Partial<RequireAccessTokenOptions> = {}): JwtVerifier {
  const resolved = resolveOptions({ issuer: as.issuer, audience: AUDIENCE, ...options });
  return new JwtVerifier(resolved, new Discovery(resolved.issuer, { timeout: resolved.timeout }));
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const result = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(result).toBeInstanceOf(Error);
  return result as Error;
}

async function expectInvalid(token: string, description: string | RegExp, v = verifier()): Promise<InvalidToken> {
  const err = await rejection(v.verify(token));
  expect(err).toBeInstanceOf(InvalidToken);
  expect((err as InvalidToken).description).toMatch(description);
  expect(err.message).not.toContain(token);
  return err as InvalidToken;
}

const now = () => Math.floor(Date.now() / 1000);

describe('JwtVerifier: accepted tokens', () => {
  it('accepts an RFC 9068 token and describes the caller', async () => {
    const token = await as.sign({ scope: 'orders:read orders:write' });
    const auth = await verifier().verify(token);
    expect(auth).toMatchObject({
      kind: 'user',
      sub: 'user-42',
      clientId: CLIENT_ID,
      scopes: ['orders:read', 'orders:write'],
      source: 'jwt',
    });
    expect(auth.claims.iss).toBe(as.issuer);
  });

  it.each(['application/at+jwt', 'AT+JWT'])('accepts typ %s', async (typ) => {
    await expect(verifier().verify(await as.sign({}, { header: { typ } }))).resolves.toMatchObject({ clientId: CLIENT_ID });
  });

  it('accepts one of several audiences, in an aud array', async () => {
    const token = await as.sign({ aud: ['https://other.example', 'https://second.example'] });
    await expect(verifier({ audience: [AUDIENCE, 'https://second.example'] }).verify(token)).resolves.toBeTruthy();
  });

  it('accepts ES256 and EdDSA by default', async () => {
    for (const alg of ['ES256', 'EdDSA']) {
      as.key = await createSigningKey(alg);
      await expect(verifier().verify(await as.sign())).resolves.toMatchObject({ source: 'jwt' });
    }
  });

  it('accepts an expiry within clockTolerance', async () => {
    const token = await as.sign({ exp: now() - 2, iat: now() - 60 });
    await expect(verifier({ clockTolerance: 5 }).verify(token)).resolves.toBeTruthy();
    await expectInvalid(token, 'the access token expired', verifier({ clockTolerance: 0 }));
  });

  it('tries every matching key when the token has no kid', async () => {
    as.additionalKeys = [await createSigningKey()];
    const token = await as.sign({}, { header: { kid: undefined } });
    await expect(verifier().verify(token)).resolves.toMatchObject({ clientId: CLIENT_ID });
    const other = await createSigningKey();
    await expectInvalid(await as.sign({}, { key: other, header: { kid: undefined } }), 'the access token signature is invalid');
  });
});

describe('JwtVerifier: rejected tokens', () => {
  it('rejects alg none before any network call', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }));
    const payload = base64url.encode(JSON.stringify({ iss: as.issuer, aud: AUDIENCE, client_id: CLIENT_ID, iat: now(), exp: now() + 60 }));
    await expectInvalid(`${header}.${payload}.`, 'the access token signing algorithm is not allowed');
    expect(as.counts.discovery + as.counts.jwks).toBe(0);
  });

  it('rejects a token signed by another key under the same kid', async () => {
    const impostor = await createSigningKey();
    await expectInvalid(await as.sign({}, { key: impostor, header: { kid: as.key.kid } }), 'the access token signature is invalid');
  });

  it('rejects HS256 signed with the public key (PEM or JWK bytes) as the HMAC secret', async () => {
    const pem = new TextEncoder().encode(await exportSPKI(as.key.publicKey));
    const jwk = new TextEncoder().encode(JSON.stringify(await exportJWK(as.key.publicKey)));
    const claims = { iss: as.issuer, aud: AUDIENCE, client_id: CLIENT_ID, scope: 'orders:read' };
    for (const secret of [pem, jwk]) {
      const token = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: as.key.kid }).setIssuedAt().setExpirationTime('5m').sign(secret);
      await expectInvalid(token, 'the access token signing algorithm is not allowed');
    }
  });

  it('rejects an algorithm outside the allowlist', async () => {
    as.key = await createSigningKey('RS384');
    await expectInvalid(await as.sign(), 'the access token signing algorithm is not allowed');
    await expect(verifier({ algorithms: ['RS384'] }).verify(await as.sign())).resolves.toBeTruthy();
  });

  it('rejects a wrong issuer', async () => {
    await expectInvalid(await as.sign({ iss: 'https://evil.example' }), 'the access token was issued by another issuer');
  });

  it('rejects a wrong audience', async () => {
    await expectInvalid(await as.sign({ aud: 'https://other-api.example' }), 'the access token is not intended for this resource server');
  });

  it('rejects an expired token', async () => {
    await expectInvalid(await as.sign({ iat: now() - 600, exp: now() - 60 }), 'the access token expired');
  });

  it('rejects nbf or iat in the future beyond the tolerance', async () => {
    await expectInvalid(await as.sign({ nbf: now() + 60 }), 'the access token is not yet valid');
    await expectInvalid(await as.sign({ iat: now() + 60 }), 'the access token is not yet valid');
    await expect(verifier().verify(await as.sign({ nbf: now() + 3, iat: now() + 3 }))).resolves.toBeTruthy();
  });

  it('rejects typ JWT or no typ', async () => {
    await expectInvalid(await as.sign({}, { header: { typ: 'JWT' } }), 'the access token type (typ) must be at+jwt');
    await expectInvalid(await as.sign({}, { header: { typ: undefined } }), 'the access token type (typ) must be at+jwt');
  });

  it('requires client_id, exp and iat', async () => {
    await expectInvalid(await as.sign({}, { omit: ['client_id'] }), 'the access token has no client_id claim');
    await expectInvalid(await as.sign({ client_id: 42 }), 'the access token has no client_id claim');
    await expectInvalid(await as.sign({}, { omit: ['exp'] }), 'the access token has no exp claim');
    await expectInvalid(await as.sign({}, { omit: ['iat'] }), 'the access token has no iat claim');
    await expectInvalid(await as.sign({ aud: undefined }), 'the access token has no aud claim');
    await expectInvalid(await as.sign({ exp: 'soon' }), 'the access token exp claim is invalid');
  });

  it('leaves cnf to the binding check (token-binding.ts): the verifier does not know the scheme', async () => {
    const auth = await verifier().verify(await as.sign({ cnf: { jkt: 'abc' } }));
    expect(auth.claims.cnf).toEqual({ jkt: 'abc' });
  });

  it.each(['a.b.c', 'e30.e30.', 'eyJhbGciOiJSUzI1NiJ9.bm90anNvbg.c2ln'])('rejects the malformed token %s', async (token) => {
    await expectInvalid(token, /malformed|not allowed|invalid/);
  });
});

describe('JwtVerifier: JWKS', () => {
  it('accepts a new key after rotation once jose refetches the JWKS (after its 30 s cooldown)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const v = verifier();
    const oldToken = await as.sign();
    await expect(v.verify(oldToken)).resolves.toBeTruthy();
    expect(as.counts.jwks).toBe(1);

    await as.rotate(); // the JWKS now serves only a new key with a new kid
    vi.setSystemTime(Date.now() + 1_000);
    const newToken = await as.sign();
    // An unknown kid inside the cooldown window: no refetch, rejected.
    await expectInvalid(newToken, 'no key of the issuer matches the access token', v);
    expect(as.counts.jwks).toBe(1);

    vi.setSystemTime(Date.now() + 30_000);
    await expect(v.verify(newToken)).resolves.toMatchObject({ clientId: CLIENT_ID });
    expect(as.counts.jwks).toBe(2);
    // The retired key is gone from the set.
    await expectInvalid(oldToken, 'no key of the issuer matches the access token', v);
    expect(as.counts.jwks).toBe(2);
  });

  it('honours jwksCooldown: with 0 a rotated key is picked up at once', async () => {
    const v = verifier({ jwksCooldown: 0 });
    await expect(v.verify(await as.sign())).resolves.toBeTruthy();
    expect(as.counts.jwks).toBe(1);

    await as.rotate();
    await expect(v.verify(await as.sign())).resolves.toMatchObject({ clientId: CLIENT_ID });
    expect(as.counts.jwks).toBe(2);
    // A known kid never refetches, whatever the cooldown.
    await v.verify(await as.sign());
    expect(as.counts.jwks).toBe(2);
  });

  it('honours a jwksCooldown longer than the default', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const v = verifier({ jwksCooldown: 120 });
    await v.verify(await as.sign());
    await as.rotate();
    const newToken = await as.sign();
    vi.setSystemTime(Date.now() + 60_000); // past jose's default 30 s, inside 120 s
    await expectInvalid(newToken, 'no key of the issuer matches the access token', v);
    expect(as.counts.jwks).toBe(1);
    vi.setSystemTime(Date.now() + 61_000);
    await expect(v.verify(newToken)).resolves.toMatchObject({ clientId: CLIENT_ID });
    expect(as.counts.jwks).toBe(2);
  });

  it('caches the JWKS across verifications', async () => {
    const v = verifier();
    for (let i = 0; i < 3; i++) await v.verify(await as.sign());
    expect(as.counts).toMatchObject({ discovery: 1, jwks: 1 });
  });

  it('throws TemporarilyUnavailable when the JWKS or discovery fail', async () => {
    as.jwksStatus = 500;
    const token = await as.sign();
    const err = await rejection(verifier().verify(token));
    expect(err).toBeInstanceOf(TemporarilyUnavailable);
    expect(err.message).toMatch(/could not fetch the JWKS/);

    as.jwksStatus = 200;
    as.discoveryStatus = 502;
    expect(await rejection(verifier().verify(token))).toBeInstanceOf(TemporarilyUnavailable);
  });
});

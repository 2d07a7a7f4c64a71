/**
 * verifyIdToken against a local JWKS, with ID tokens minted by jose: every
 * forgery and every wrong claim is refused with 401 invalid_token.
 */
import { createHmac } from 'node:crypto';
import { createLocalJWKSet, exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidToken } from '../../src/errors.ts';
import { verifyIdToken, type IdTokenExpectations } from '../../src/protocol/id-token.ts';

const ISSUER = 'https://id.example.com';
const CLIENT = 'portcullis-app';
const NONCE = 'n-0S6_WzA2Mj';

const expectations: IdTokenExpectations = {
  issuer: ISSUER,
  clientId: CLIENT,
  algorithms: ['RS256', 'ES256'],
  clockTolerance: 5,
  nonce: NONCE,
  maxAgeSeconds: 600,
};

let rsa: { privateKey: CryptoKey; publicKey: CryptoKey };
let ec: { privateKey: CryptoKey; publicKey: CryptoKey };
let stranger: { privateKey: CryptoKey; publicKey: CryptoKey };
let publicJwk: JWK;
let jwks: JWTVerifyGetKey;

const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  rsa = await generateKeyPair('RS256', { extractable: true });
  ec = await generateKeyPair('ES256', { extractable: true });
  stranger = await generateKeyPair('RS256', { extractable: true });
  publicJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' };
  const ecJwk = { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' };
  jwks = createLocalJWKSet({ keys: [publicJwk, ecJwk] });
});

/** Standard claims of a good ID token, overridable (undefined removes a claim). */
function claims(overrides: Record<string, unknown> = {}): JWTPayload {
  const base: Record<string, unknown> = { iss: ISSUER, aud: CLIENT, sub: 'alice', iat: now(), exp: now() + 300, nonce: NONCE, at_hash: 'x', name: 'Alice' };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  return base as JWTPayload;
}

const sign = (payload: JWTPayload, key: CryptoKey = rsa.privateKey, header: Record<string, unknown> = { alg: 'RS256', kid: 'rsa-1' }) =>
  new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key);

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function expectRejected(token: string, expect_: Partial<IdTokenExpectations> = {}, message?: RegExp): Promise<void> {
  const attempt = verifyIdToken(token, jwks, { ...expectations, ...expect_ });
  await expect(attempt).rejects.toBeInstanceOf(InvalidToken);
  const err = await attempt.catch((e: unknown) => e as InvalidToken);
  expect(err.status).toBe(401);
  expect(err.code).toBe('invalid_token');
  if (message) expect(err.message).toMatch(message);
}

describe('verifyIdToken: valid tokens', () => {
  it('returns the claims of a well-formed RS256 token', async () => {
    const payload = await verifyIdToken(await sign(claims()), jwks, expectations);
    expect(payload).toMatchObject({ sub: 'alice', iss: ISSUER, aud: CLIENT, nonce: NONCE, name: 'Alice' });
  });

  it('accepts ES256 from the JWKS, several audiences with azp = client, and a refresh token response without nonce', async () => {
    await expect(verifyIdToken(await sign(claims(), ec.privateKey, { alg: 'ES256', kid: 'ec-1' }), jwks, expectations)).resolves.toMatchObject({ sub: 'alice' });
    await expect(verifyIdToken(await sign(claims({ aud: [CLIENT, 'other'], azp: CLIENT })), jwks, expectations)).resolves.toMatchObject({ sub: 'alice' });
    const { nonce: _n, ...noNonce } = expectations;
    await expect(verifyIdToken(await sign(claims({ nonce: undefined })), jwks, { ...noNonce, sub: 'alice' })).resolves.toMatchObject({ sub: 'alice' });
  });

  it('tolerates clock skew within clockTolerance', async () => {
    await expect(verifyIdToken(await sign(claims({ iat: now() + 3 })), jwks, expectations)).resolves.toBeTruthy();
    await expect(verifyIdToken(await sign(claims({ exp: now() - 3 })), jwks, expectations)).resolves.toBeTruthy();
  });
});

describe('verifyIdToken: forgeries', () => {
  it('refuses alg "none" (unsigned)', async () => {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`;
    await expectRejected(unsigned);
    await expectRejected(`${b64({ alg: 'none', kid: 'rsa-1' })}.${b64(claims())}.`);
    await expectRejected(`${b64({ alg: 'NONE', kid: 'rsa-1' })}.${b64(claims())}.`);
  });

  it('refuses a token signed with another key (claimed kid of the provider, or no kid)', async () => {
    await expectRejected(await sign(claims(), stranger.privateKey), {}, /signature/);
    await expectRejected(await sign(claims(), stranger.privateKey, { alg: 'RS256' }));
    await expectRejected(await sign(claims(), stranger.privateKey, { alg: 'RS256', kid: 'unknown-kid' }));
  });

  it("refuses HS256 signed with the provider's public key as the HMAC secret (algorithm confusion)", async () => {
    const header = { alg: 'HS256', kid: 'rsa-1', typ: 'JWT' };
    const body = `${b64(header)}.${b64(claims())}`;
    for (const secret of [await exportSPKI(rsa.publicKey), JSON.stringify(publicJwk), publicJwk.n!]) {
      const forged = `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
      await expectRejected(forged);
    }
    // Even if someone listed HS256 (the options refuse it): the JWKS holds no symmetric key.
    const forged = `${body}.${createHmac('sha256', await exportSPKI(rsa.publicKey))
      .update(body)
      .digest('base64url')}`;
    await expectRejected(forged, { algorithms: ['RS256', 'HS256'] });
  });

  it('refuses an algorithm that is not allowed, even with a good signature', async () => {
    await expectRejected(await sign(claims(), ec.privateKey, { alg: 'ES256', kid: 'ec-1' }), { algorithms: ['RS256'] }, /algorithm/);
  });

  it('refuses a tampered payload and a truncated or malformed token', async () => {
    const token = await sign(claims());
    const [h, , s] = token.split('.');
    await expectRejected(`${h}.${b64(claims({ sub: 'mallory' }))}.${s}`, {}, /signature/);
    await expectRejected(token.slice(0, -2));
    await expectRejected(`${h}.${s}`);
    await expectRejected('not.a.jwt');
    await expectRejected('');
  });
});

describe('verifyIdToken: wrong claims', () => {
  it('refuses a wrong or missing iss', async () => {
    await expectRejected(await sign(claims({ iss: 'https://evil.example.com' })), {}, /iss/);
    await expectRejected(await sign(claims({ iss: `${ISSUER}/` })));
    await expectRejected(await sign(claims({ iss: undefined })));
  });

  it('refuses a wrong or missing aud', async () => {
    await expectRejected(await sign(claims({ aud: 'other-client' })), {}, /aud/);
    await expectRejected(await sign(claims({ aud: ['other-client', 'third'] })));
    await expectRejected(await sign(claims({ aud: undefined })));
  });

  it('refuses several audiences without azp, or with another azp', async () => {
    await expectRejected(await sign(claims({ aud: [CLIENT, 'other'] })), {}, /azp/);
    await expectRejected(await sign(claims({ aud: [CLIENT, 'other'], azp: 'other' })), {}, /azp/);
  });

  it('refuses an expired token and one without exp', async () => {
    await expectRejected(await sign(claims({ iat: now() - 400, exp: now() - 60 })), {}, /expired|exp/);
    await expectRejected(await sign(claims({ exp: undefined })));
  });

  it('refuses an iat in the future (beyond the tolerance) and a missing iat', async () => {
    await expectRejected(await sign(claims({ iat: now() + 60, exp: now() + 600 })));
    await expectRejected(await sign(claims({ iat: now() + 3600, exp: now() + 7200 })));
    await expectRejected(await sign(claims({ iat: undefined })));
  });

  it('refuses a token issued more than 600 s ago, even if not expired', async () => {
    await expectRejected(await sign(claims({ iat: now() - 700, exp: now() + 3600 })));
    await expect(verifyIdToken(await sign(claims({ iat: now() - 500, exp: now() + 3600 })), jwks, expectations)).resolves.toBeTruthy();
  });

  it('refuses a token not yet valid (nbf in the future)', async () => {
    await expectRejected(await sign(claims({ nbf: now() + 120 })));
  });

  it('refuses a wrong or missing nonce when one was sent', async () => {
    await expectRejected(await sign(claims({ nonce: 'other-nonce' })), {}, /nonce/);
    await expectRejected(await sign(claims({ nonce: undefined })), {}, /nonce/);
    await expectRejected(await sign(claims({ nonce: `${NONCE} ` })));
  });

  it('refuses a missing, empty or non-string sub, and another subject than expected', async () => {
    await expectRejected(await sign(claims({ sub: undefined })), {}, /sub/);
    await expectRejected(await sign(claims({ sub: '' })));
    await expectRejected(await sign(claims({ sub: 42 })));
    await expectRejected(await sign(claims({ sub: 'bob' })), { sub: 'alice' }, /another subject/);
  });

  it('never puts the token into the error description', async () => {
    const token = await sign(claims({ aud: 'other' }));
    const err = await verifyIdToken(token, jwks, expectations).catch((e: unknown) => e as Error);
    expect(err.message).not.toContain(token.split('.')[1]!);
  });
});

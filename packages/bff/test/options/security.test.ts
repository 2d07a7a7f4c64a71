/**
 * The security options resolved together: private_key_jwt and its key,
 * DPoP, PAR, `jwks`, and what `profile: 'fapi2'` turns on and refuses at
 * start-up (each refusal names the option to change).
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BffOptionsError, resolveOptions, type BffOptions } from '../../src/options.ts';

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const PEM = ec.export({ type: 'pkcs8', format: 'pem' }).toString();
const JWK = { ...ec.export({ format: 'jwk' }), kid: 'bff-1' };

const base = (extra: Partial<BffOptions> = {}): BffOptions => ({
  issuer: 'https://id.example.com',
  clientId: 'app',
  baseUrl: 'https://app.example.com',
  session: { keys: ['k'.repeat(32)] },
  ...extra,
});

function refusal(options: BffOptions): BffOptionsError {
  try {
    resolveOptions(options);
  } catch (err) {
    expect(err).toBeInstanceOf(BffOptionsError);
    return err as BffOptionsError;
  }
  throw new Error('expected a BffOptionsError');
}

describe('profile "fapi2"', () => {
  it('turns on private_key_jwt, DPoP (ES256), PAR, the iss requirement and the FAPI algorithms', () => {
    const o = resolveOptions(base({ profile: 'fapi2', clientPrivateKey: PEM }));
    expect(o.clientAuthentication).toBe('private_key_jwt');
    expect(o.clientKey?.alg).toBe('ES256');
    expect(o.dpop).toBe('ES256');
    expect(o.par).toBe(true);
    expect(o.requireIss).toBe(true);
    expect(o.idTokenAlgorithms).toEqual(['PS256', 'ES256', 'EdDSA']);
    expect(o.securityProfile).toBe('fapi2');
  });

  it('refuses weaker settings, naming the option', () => {
    expect(refusal(base({ profile: 'fapi2', clientSecret: 's', clientAuthentication: 'client_secret_basic' })).option).toBe('clientAuthentication');
    expect(refusal(base({ profile: 'fapi2', clientPrivateKey: PEM, dpop: false })).option).toBe('dpop');
    expect(refusal(base({ profile: 'fapi2', clientPrivateKey: PEM, par: false })).option).toBe('par');
    expect(refusal(base({ profile: 'fapi2', clientPrivateKey: PEM, par: 'auto' })).option).toBe('par');
    const alg = refusal(base({ profile: 'fapi2', clientPrivateKey: PEM, idTokenAlgorithms: ['RS256'] }));
    expect(alg.option).toBe('idTokenAlgorithms');
    expect(alg.message).toContain('RS256');
    expect(refusal(base({ profile: 'fapi2' })).option).toBe('clientPrivateKey');
    expect(refusal(base({ profile: 'fapi1' as 'fapi2', clientSecret: 's' })).option).toBe('profile');
  });

  it('keeps the DPoP algorithm chosen', () => {
    expect(resolveOptions(base({ profile: 'fapi2', clientPrivateKey: PEM, dpop: { alg: 'EdDSA' } })).dpop).toBe('EdDSA');
  });
});

describe('private_key_jwt', () => {
  it('reads PEM, a JWK object and a JWK as JSON text; the kid is kept or is the thumbprint', () => {
    const fromPem = resolveOptions(base({ clientAuthentication: 'private_key_jwt', clientPrivateKey: PEM })).clientKey!;
    const fromJwk = resolveOptions(base({ clientAuthentication: 'private_key_jwt', clientPrivateKey: JWK })).clientKey!;
    const fromJson = resolveOptions(base({ clientAuthentication: 'private_key_jwt', clientPrivateKey: JSON.stringify(JWK) })).clientKey!;
    expect(fromJwk.kid).toBe('bff-1');
    expect(fromJson.kid).toBe('bff-1');
    expect(fromPem.kid).toMatch(/^[\w-]{43}$/);
    expect(fromPem.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', x: JWK.x, y: JWK.y, alg: 'ES256', use: 'sig' });
    expect(fromPem.publicJwk).not.toHaveProperty('d');
  });

  it('derives the algorithm from the key: Ed25519 → EdDSA, RSA → PS256; a small RSA key is refused', () => {
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(resolveOptions(base({ clientAuthentication: 'private_key_jwt', clientPrivateKey: ed })).clientKey!.alg).toBe('EdDSA');
    expect(resolveOptions(base({ clientAuthentication: 'private_key_jwt', clientPrivateKey: rsa })).clientKey!.alg).toBe('PS256');
    expect(refusal(base({ clientAuthentication: 'private_key_jwt', clientPrivateKey: small })).option).toBe('clientPrivateKey');
  });

  it('refuses a public key or garbage without quoting it', () => {
    const pub = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    for (const key of [pub, 'not a key', { kty: 'EC', crv: 'P-256', x: JWK.x, y: JWK.y }]) {
      const err = refusal(base({ clientAuthentication: 'private_key_jwt', clientPrivateKey: key as string }));
      expect(err.option).toBe('clientPrivateKey');
      expect(err.message).not.toContain('not a key');
      expect(err.message).not.toContain(JWK.x);
    }
  });

  it('needs no clientSecret; the other methods do', () => {
    expect(resolveOptions(base({ clientAuthentication: 'private_key_jwt', clientPrivateKey: PEM })).clientSecret).toBeUndefined();
    expect(refusal(base()).option).toBe('clientSecret');
  });
});

describe('dpop, par, jwks', () => {
  it('default off / auto; true means ES256', () => {
    const o = resolveOptions(base({ clientSecret: 's' }));
    expect(o.dpop).toBeUndefined();
    expect(o.par).toBe('auto');
    expect(o.requireIss).toBe(false);
    expect(resolveOptions(base({ clientSecret: 's', dpop: true })).dpop).toBe('ES256');
    expect(refusal(base({ clientSecret: 's', dpop: { alg: 'RS256' as 'ES256' } })).option).toBe('dpop');
    expect(refusal(base({ clientSecret: 's', par: 'yes' as 'auto' })).option).toBe('par');
  });

  it('jwks needs a client key', () => {
    expect(refusal(base({ clientSecret: 's', jwks: true })).option).toBe('jwks');
    expect(resolveOptions(base({ clientAuthentication: 'private_key_jwt', clientPrivateKey: PEM, jwks: true })).jwks).toBe(true);
  });
});

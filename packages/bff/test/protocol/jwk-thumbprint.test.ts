/** The RFC 7638 thumbprint agrees with jose's for every key type the BFF uses, private members ignored. */
import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { jwkThumbprint } from '../../src/protocol/jwk-thumbprint.ts';

describe('jwkThumbprint', () => {
  it.each([
    ['EC P-256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['Ed25519', () => generateKeyPairSync('ed25519')],
    ['RSA 2048', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ])('%s: equals jose calculateJwkThumbprint, for the public and the private JWK', async (_name, pair) => {
    const { publicKey, privateKey } = pair();
    const pub = publicKey.export({ format: 'jwk' });
    const expected = await calculateJwkThumbprint(pub as JWK);
    expect(jwkThumbprint(pub)).toBe(expected);
    expect(jwkThumbprint(privateKey.export({ format: 'jwk' }))).toBe(expected);
  });
});

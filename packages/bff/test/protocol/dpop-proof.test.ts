/** DPoP proofs (RFC 9449 §4.2) as a resource server or provider verifies them. */
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateDpopKey, publicDpopJwk } from '../../src/protocol/dpop-key.ts';
import { jwkThumbprint } from '../../src/protocol/jwk-thumbprint.ts';
import { createDpopProof, proofUrl } from '../../src/protocol/dpop-proof.ts';

describe('createDpopProof', () => {
  for (const alg of ['ES256', 'EdDSA'] as const) {
    it(`${alg}: verifies with its embedded public key; typ, htm, htu without query, ath, nonce, fresh jti`, async () => {
      const key = generateDpopKey(alg);
      const proof = createDpopProof(key, { htm: 'POST', htu: 'https://api.example.com/todos/1?x=1#f', accessToken: 'AT', nonce: 'n-1' });
      const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [alg] });
      expect(protectedHeader.jwk).toEqual(publicDpopJwk(key));
      expect(protectedHeader.jwk).not.toHaveProperty('d');
      expect(payload).toMatchObject({ htm: 'POST', htu: 'https://api.example.com/todos/1', nonce: 'n-1', ath: createHash('sha256').update('AT').digest('base64url') });
      expect(Math.abs((payload.iat as number) - Date.now() / 1000)).toBeLessThan(2);
      const again = createDpopProof(key, { htm: 'POST', htu: 'https://api.example.com/todos/1' });
      expect((await jwtVerify(again, EmbeddedJWK)).payload.jti).not.toBe(payload.jti);
      expect((await jwtVerify(again, EmbeddedJWK)).payload).not.toHaveProperty('ath');
    });
  }

  it('the thumbprint is RFC 7638 (what cnf.jkt names)', async () => {
    const key = generateDpopKey('ES256');
    expect(jwkThumbprint(key)).toBe(await calculateJwkThumbprint(publicDpopJwk(key)));
    const proof = createDpopProof(key, { htm: 'GET', htu: 'https://a.example/' });
    expect(await calculateJwkThumbprint(decodeProtectedHeader(proof).jwk!)).toBe(jwkThumbprint(key));
  });

  it('proofUrl drops query and fragment only', () => {
    expect(proofUrl('https://a.example/p/q?x#y')).toBe('https://a.example/p/q');
    expect(proofUrl('https://a.example/p#y')).toBe('https://a.example/p');
    expect(proofUrl('https://a.example/p')).toBe('https://a.example/p');
  });
});

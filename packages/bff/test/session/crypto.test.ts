/** Token encryption at rest: JWE dir + A256GCM, rotating keys. */
import { hkdfSync } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { TokenCipher } from '../../src/session/crypto.ts';

const NEW = 'n'.repeat(32);
const OLD = 'o'.repeat(32);
const tokens = { accessToken: 'eyJ.access-token-secret', refreshToken: 'refresh-token-secret', idToken: 'eyJ.id', expiresAt: 1_900_000_000 };

describe('TokenCipher', () => {
  it('round-trips any JSON value, as a compact JWE (dir, A256GCM, kid) that does not contain the plaintext', async () => {
    const cipher = new TokenCipher([NEW]);
    const jwe = await cipher.encrypt(tokens);
    expect(jwe.split('.')).toHaveLength(5);
    expect(jwe).not.toContain('secret');
    expect(Buffer.from(jwe.split('.')[3]!, 'base64url').toString('latin1')).not.toContain('secret');
    const header = decodeProtectedHeader(jwe);
    expect(header).toMatchObject({ alg: 'dir', enc: 'A256GCM' });
    expect(typeof header.kid).toBe('string');
    expect(await cipher.decrypt(jwe)).toEqual(tokens);
    for (const value of ['a string', 42, null, [1, 'two'], { nested: { deep: true } }]) expect(await cipher.decrypt(await cipher.encrypt(value))).toEqual(value);
  });

  it('uses a fresh IV: the same value never encrypts the same way twice', async () => {
    const cipher = new TokenCipher([NEW]);
    expect(await cipher.encrypt(tokens)).not.toBe(await cipher.encrypt(tokens));
  });

  it('rotation: a record written under the old key still decrypts once a new key comes first; new records use the new key', async () => {
    const before = new TokenCipher([OLD]);
    const after = new TokenCipher([NEW, OLD]);
    const oldRecord = await before.encrypt(tokens);
    expect(await after.decrypt(oldRecord)).toEqual(tokens);
    const newRecord = await after.encrypt(tokens);
    expect(decodeProtectedHeader(newRecord).kid).not.toBe(decodeProtectedHeader(oldRecord).kid);
    expect(decodeProtectedHeader(newRecord).kid).toBe(decodeProtectedHeader(await new TokenCipher([NEW]).encrypt(1)).kid);
    // The old-only cipher cannot read the new key's records.
    await expect(before.decrypt(newRecord)).rejects.toThrow();
  });

  it('fails for an unknown key: a removed key, another secret, a forged kid', async () => {
    const oldRecord = await new TokenCipher([OLD]).encrypt(tokens);
    await expect(new TokenCipher([NEW]).decrypt(oldRecord)).rejects.toThrow(/no session encryption key/);
    // Same kid, other secret: the header is reused, the authentication tag fails.
    const [header, ...rest] = (await new TokenCipher([NEW]).encrypt(tokens)).split('.');
    const forgedKid = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(header!, 'base64url').toString()), kid: decodeProtectedHeader(oldRecord).kid })).toString('base64url');
    await expect(new TokenCipher([OLD]).decrypt([forgedKid, ...rest].join('.'))).rejects.toThrow();
  });

  it('fails for a tampered ciphertext, tag or header, and for garbage', async () => {
    const cipher = new TokenCipher([NEW]);
    const parts = (await cipher.encrypt(tokens)).split('.');
    const flip = (s: string) => `${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
    for (const i of [0, 2, 3, 4]) {
      const tampered = [...parts];
      tampered[i] = flip(tampered[i]!);
      await expect(cipher.decrypt(tampered.join('.')), `part ${i}`).rejects.toThrow();
    }
    await expect(cipher.decrypt('not a jwe')).rejects.toThrow();
    await expect(cipher.decrypt('')).rejects.toThrow();
    // A JWE header asking for another algorithm is refused even with the right kid.
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString()) as Record<string, unknown>;
    const otherAlg = Buffer.from(JSON.stringify({ ...header, enc: 'A128GCM' })).toString('base64url');
    await expect(cipher.decrypt([otherAlg, ...parts.slice(1)].join('.'))).rejects.toThrow();
  });

  it('speaks standard JWE: jose opens what it writes, and it opens what jose writes', async () => {
    const secret = new Uint8Array(hkdfSync('sha256', NEW, 'portcullis', 'session token encryption (A256GCM)', 32));
    const cipher = new TokenCipher([NEW]);
    const ours = await cipher.encrypt(tokens);
    const { plaintext } = await compactDecrypt(ours, secret);
    expect(JSON.parse(new TextDecoder().decode(plaintext))).toEqual(tokens);
    const kid = decodeProtectedHeader(ours).kid!;
    const theirs = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(tokens))).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid }).encrypt(secret);
    expect(await cipher.decrypt(theirs)).toEqual(tokens);
  });
});

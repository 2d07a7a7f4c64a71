/**
 * Token encryption at rest: the tokens of a session are a JWE (`dir` +
 * `A256GCM`) before the record reaches any store. The first key encrypts,
 * every key decrypts, so keys can be rotated.
 */
import { createHash, hkdfSync } from 'node:crypto';
import { CompactEncrypt, compactDecrypt } from 'jose';

interface Key {
  kid: string;
  secret: Uint8Array;
}

/** Encrypts and decrypts JSON values under a rotating list of keys. */
export class TokenCipher {
  readonly #keys: Key[];
  readonly #byKid: Map<string, Key>;
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder();

  /**
   * @param secrets - key material, newest first; each is stretched to 256 bits with HKDF-SHA256
   */
  constructor(secrets: readonly string[]) {
    this.#keys = secrets.map((s) => {
      const secret = new Uint8Array(hkdfSync('sha256', s, 'portcullis', 'session token encryption (A256GCM)', 32));
      return { kid: createHash('sha256').update(secret).digest('base64url').slice(0, 16), secret };
    });
    this.#byKid = new Map(this.#keys.map((k) => [k.kid, k]));
  }

  /** A compact JWE of `value` (JSON) under the first key. */
  async encrypt(value: unknown): Promise<string> {
    const key = this.#keys[0]!;
    return new CompactEncrypt(this.#encoder.encode(JSON.stringify(value))).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: key.kid }).encrypt(key.secret);
  }

  /** The JSON value inside `jwe`; throws when no key opens it. */
  async decrypt(jwe: string): Promise<unknown> {
    const [header] = jwe.split('.', 1);
    const { kid } = JSON.parse(Buffer.from(header ?? '', 'base64url').toString()) as { kid?: string };
    const key = kid ? this.#byKid.get(kid) : undefined;
    if (!key) throw new Error('no session encryption key matches this record (was the key removed from the rotation?)');
    const { plaintext } = await compactDecrypt(jwe, key.secret, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
    return JSON.parse(this.#decoder.decode(plaintext));
  }
}

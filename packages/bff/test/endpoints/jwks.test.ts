/**
 * `GET /bff/jwks` (option `jwks`): the public key of the `private_key_jwt`
 * key for a provider to fetch, never its private part; absent by default.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBff } from '../support/harness.ts';

const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const base = { issuer: 'http://127.0.0.1:9', clientId: 'bff', baseUrl: 'http://localhost:3000', session: { keys: ['j'.repeat(32)] } };
let on: Awaited<ReturnType<typeof startBff>>;
let off: Awaited<ReturnType<typeof startBff>>;

beforeAll(async () => {
  on = await startBff({ ...base, clientAuthentication: 'private_key_jwt', clientPrivateKey: key.export({ type: 'pkcs8', format: 'pem' }).toString(), jwks: true });
  off = await startBff({ ...base, clientAuthentication: 'private_key_jwt', clientPrivateKey: key.export({ format: 'jwk' }) });
});
afterAll(async () => {
  await on?.stop();
  await off?.stop();
});

describe('GET /bff/jwks', () => {
  it('serves the public key only, as a JWK Set with kid, alg and use', async () => {
    const response = await fetch(`${on.url}/bff/jwks`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/jwk-set\+json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const text = await response.text();
    const { keys } = JSON.parse(text) as { keys: Array<Record<string, string>> };
    const jwk = key.export({ format: 'jwk' });
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, alg: 'ES256', use: 'sig' });
    expect(keys[0]!['kid']).toMatch(/^[\w-]{43}$/);
    expect(keys[0]).not.toHaveProperty('d');
    expect(text).not.toContain(jwk.d!);
  });

  it('is not served without the option', async () => {
    expect((await fetch(`${off.url}/bff/jwks`)).status).toBe(404);
  });
});

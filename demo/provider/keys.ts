import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type Provider from 'oidc-provider';

/**
 * Generates an RSA private signing key as a JWK with a fresh `kid`, for `alg`
 * RS256 (default) or PS256 (FAPI 2.0 allows only PS256, ES256 and EdDSA).
 */
export async function generateSigningJwk(alg: 'RS256' | 'PS256' = 'RS256'): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: `demo-${randomBytes(6).toString('hex')}`, alg, use: 'sig' };
}

type InitializeKeystore = (this: Provider, jwks: { keys: JWK[] }) => void;
let initializeKeystore: Promise<InitializeKeystore> | undefined;

/**
 * oidc-provider 8 has no public API to change its keys after construction. Its
 * keystore is read from an internal cache on every signature, so running its own
 * keystore initialiser again swaps the keys (and the published JWKS) in place.
 * The module is loaded from the very file oidc-provider itself uses, so both
 * share that cache.
 */
function loadInitializeKeystore(): Promise<InitializeKeystore> {
  initializeKeystore ??= (async () => {
    const require = createRequire(import.meta.url);
    const main = require.resolve('oidc-provider'); // .../oidc-provider/lib/index.js
    const file = join(dirname(main), 'helpers', 'initialize_keystore.js');
    const mod = (await import(pathToFileURL(file).href)) as { default: InitializeKeystore };
    return mod.default;
  })();
  return initializeKeystore;
}

/** Replaces the provider's keystore; the first key is the one used for new signatures. */
export async function setProviderKeys(provider: Provider, keys: JWK[]): Promise<void> {
  const init = await loadInitializeKeystore();
  init.call(provider, { keys });
}

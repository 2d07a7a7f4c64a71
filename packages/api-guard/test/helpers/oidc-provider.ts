// A real oidc-provider (a devDependency of this package) in this process, for
// tests against a genuine authorization server: client_credentials JWT access
// tokens (RFC 9068) for one API, and key rotation. The package's tests must
// not import the demo (architecture rule), so this is its own small setup.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { errors, type ClientMetadata } from 'oidc-provider';

export interface TestProviderOptions {
  /** The API's resource indicator (and `aud`). */
  audience: string;
  /** Scopes of the API. */
  scopes: string[];
  clients: Array<{ clientId: string; clientSecret: string }>;
}

export interface TestProvider {
  readonly issuer: string;
  readonly tokenEndpoint: string;
  /** The kid new tokens are signed with. */
  currentKid(): string;
  /** Publishes a new key first; new tokens use it, the old one stays published. */
  rotateKeys(): Promise<void>;
  stop(): Promise<void>;
}

async function signingJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: `test-${randomBytes(6).toString('hex')}`, alg: 'RS256', use: 'sig' };
}

type InitializeKeystore = (this: Provider, jwks: { keys: JWK[] }) => void;

/**
 * oidc-provider 8 has no public API to change keys after construction; its
 * keystore initialiser, run again on the same instance, swaps them in place.
 * Loaded from the very copy of oidc-provider imported above.
 */
async function loadInitializeKeystore(): Promise<InitializeKeystore> {
  const require = createRequire(import.meta.url);
  const file = join(dirname(require.resolve('oidc-provider')), 'helpers', 'initialize_keystore.js');
  return ((await import(pathToFileURL(file).href)) as { default: InitializeKeystore }).default;
}

export async function startTestProvider(options: TestProviderOptions): Promise<TestProvider> {
  let handler: Parameters<typeof createServer>[1] = (_req, res) => res.writeHead(503).end();
  const server: Server = createServer((req, res) => handler!(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const keys = [await signingJwk()];
  const clients: ClientMetadata[] = options.clients.map((c) => ({
    client_id: c.clientId,
    client_secret: c.clientSecret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  }));
  const provider = new Provider(issuer, {
    clients,
    jwks: { keys: keys as never },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // DPoP-bound tokens (cnf.jkt) when the token request carries a proof.
      dPoP: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => options.audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== options.audience) throw new errors.InvalidTarget();
          return { scope: options.scopes.join(' '), audience: options.audience, accessTokenFormat: 'jwt', accessTokenTTL: 300, jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
  });
  handler = provider.callback();
  const initializeKeystore = await loadInitializeKeystore();

  return {
    issuer,
    tokenEndpoint: `${issuer}/token`,
    currentKid: () => keys[0]!.kid!,
    async rotateKeys() {
      keys.unshift(await signingJwk());
      initializeKeystore.call(provider, { keys });
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/**
 * An in-process OpenID provider for the BFF's tests: oidc-provider 8 (a
 * devDependency of this package) on a free localhost port, configured the way
 * the BFF expects a real one to be (see FIELD-NOTES "oidc-provider as the
 * demo / test provider"):
 *
 * - confidential clients, PKCE (S256) required;
 * - refresh tokens only for `offline_access`, which oidc-provider keeps only
 *   with `prompt=consent` (the harness's BFF sends it), rotated on every use;
 * - JWT access tokens for one API audience (resource indicators);
 * - back-channel logout and RP-initiated logout (a confirm form with `xsrf`);
 * - a scripted login (interactions.ts) for alice/alice and bob/bob.
 *
 * The signing key is generated here, so tests can sign their own tokens with
 * it (logout tokens with chosen claims). The provider matrix
 * (test/providers/provider.ts) builds its simulated providers on this core.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import Provider, { errors, type AdapterConstructor, type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { page, scriptedInteractions, USERS } from './interactions.ts';

export { page, USERS };
// For suites outside this package (the provider matrix), which cannot resolve oidc-provider themselves.
export type { ClientMetadata, Configuration, KoaContextWithOIDC } from 'oidc-provider';

// oidc-provider's own in-memory storage, subclassed: the same storage without the
// "development-only adapter" warning it prints on stderr for every test file.
const { default: MemoryAdapter } = (await import('oidc-provider/lib/adapters/memory_adapter.js' as string)) as { default: AdapterConstructor };
class TestAdapter extends MemoryAdapter {}

export interface TestProviderOptions {
  /** The registered clients, built once the issuer (its port) is known. */
  clients: ClientMetadata[] | ((issuer: string) => ClientMetadata[]);
  /** Resource indicator (and `aud`) of the API that gets JWT access tokens. Default: none (opaque tokens). */
  apiAudience?: string;
  /** Scopes of that API. Default `['api:read']`. */
  apiScopes?: string[];
  /** Access token lifetime, seconds. Default 300. */
  accessTokenTtl?: number;
  /** Changes to the configuration below; `features` are merged feature by feature. */
  configuration?: Partial<Configuration>;
  /** Runs before the provider serves: `provider.use(…)` in front of its routes. */
  setup?: (provider: Provider) => void;
}

/** A running in-process provider. */
export interface TestProvider {
  issuer: string;
  provider: Provider;
  /** Query of every authorization request received, in order. */
  authorizations: URLSearchParams[];
  /** Successful token grants by grant_type. */
  grantCounts(): Record<string, number>;
  resetCounts(): void;
  /** The kid of the signing key. */
  currentKid(): string;
  /** Signs a JWT with the provider's key; `iss` defaults to the issuer, `iat` to now. */
  signJwt(payload: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  stop(): Promise<void>;
}

function defaults(options: TestProviderOptions, issuer: string, jwk: JWK): Configuration {
  const apiScopes = options.apiScopes ?? ['api:read'];
  const accessTokenTtl = options.accessTokenTtl ?? 300;
  const audience = options.apiAudience;
  return {
    adapter: TestAdapter,
    clients: typeof options.clients === 'function' ? options.clients(issuer) : options.clients,
    jwks: { keys: [jwk as NonNullable<Configuration['jwks']>['keys'][number]] },
    findAccount: (_ctx, sub) => {
      const user = USERS[sub as keyof typeof USERS];
      return user ? { accountId: sub, claims: () => ({ ...user }) } : undefined;
    },
    // acr and auth_time in every ID token; profile claims in the ID token too (the BFF shows those).
    claims: { acr: null, auth_time: null, sid: null, openid: ['sub', 'acr', 'auth_time'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
    conformIdTokenClaims: false,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true, methods: ['S256'] },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    rotateRefreshToken: true,
    ttl: { AccessToken: accessTokenTtl, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 86_400, Grant: 86_400, Session: 86_400, Interaction: 600 },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => page(ctx, 200, `${form}<button form="op.logoutForm" name="logout" value="yes">Sign out</button>`),
        postLogoutSuccessSource: async (ctx) => page(ctx, 200, 'Signed out at the provider.'),
      },
      resourceIndicators: audience
        ? {
            enabled: true,
            defaultResource: () => audience,
            useGrantedResource: () => true,
            getResourceServerInfo: (_ctx, indicator) => {
              if (indicator !== audience) throw new errors.InvalidTarget();
              return { scope: apiScopes.join(' '), audience, accessTokenFormat: 'jwt', accessTokenTTL: accessTokenTtl, jwt: { sign: { alg: 'RS256' } } };
            },
          }
        : { enabled: false },
    },
    // oidc-provider 8 delivers back-channel logout tokens with got, which reaches localhost as is
    // (9.x's fetch refuses special-use addresses: there a `fetch` option calling globalThis.fetch is needed).
    httpOptions: () => ({ signal: AbortSignal.timeout(2500) }),
    renderError: async (ctx, out) => page(ctx, ctx.status >= 400 ? ctx.status : 400, `error: ${String(out['error'])}`),
  };
}

/** Starts a provider on a free localhost port; resolves once it listens. */
export async function startTestProvider(options: TestProviderOptions): Promise<TestProvider> {
  // Listen first: the issuer embeds the port, and the configuration needs the issuer.
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server: Server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  const issuer = `http://localhost:${(server.address() as AddressInfo).port}`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };
  const base = defaults(options, issuer, jwk);
  const configuration: Configuration = { ...base, ...options.configuration, features: { ...base.features, ...options.configuration?.features } };
  const provider = new Provider(issuer, configuration);

  const authorizations: URLSearchParams[] = [];
  const grants: Record<string, number> = {};
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const type = String(ctx.oidc.params?.['grant_type'] ?? 'unknown');
    grants[type] = (grants[type] ?? 0) + 1;
  });
  provider.use(async (ctx, next) => {
    if (ctx.path === '/auth') authorizations.push(new URLSearchParams(ctx.querystring));
    await next();
  });
  if (!configuration.features?.devInteractions?.enabled) provider.use(scriptedInteractions(provider));
  options.setup?.(provider);
  // Koa composes its middleware here: everything above is in place.
  handler = provider.callback();

  return {
    issuer,
    provider,
    authorizations,
    grantCounts: () => ({ ...grants }),
    resetCounts: () => {
      for (const key of Object.keys(grants)) delete grants[key];
    },
    currentKid: () => jwk.kid!,
    async signJwt(payload, header = {}) {
      const key = await importJWK(jwk, 'RS256');
      return new SignJWT({ iss: issuer, iat: Math.floor(Date.now() / 1000), ...payload }).setProtectedHeader({ alg: 'RS256', kid: jwk.kid!, ...header }).sign(key);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

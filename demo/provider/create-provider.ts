import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { importJWK, SignJWT, type JWK } from 'jose';
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { findAccount } from './accounts.ts';
import { authenticationClaims } from './access-token-claims.ts';
import { toClientMetadata, type DemoClientConfig } from './client-metadata.ts';
import { withExtraClient } from './extra-client.ts';
import { FAPI2_SIGNING_ALG, withFapi2, type DemoSecurityProfile } from './fapi2.ts';
import { interactionRoutes } from './interactions.ts';
import { generateSigningJwk, setProviderKeys } from './keys.ts';
import { createMemoryAdapter } from './memory-adapter.ts';
import { ACR_VALUES, mfaAwarePolicy } from './mfa.ts';
import { PAGE_HEADERS, errorPage, loggedOutPage, logoutPage } from './views.ts';

export type { DemoClientConfig } from './client-metadata.ts';
export type { DemoSecurityProfile } from './fapi2.ts';

export interface DemoProviderOptions {
  /** 0 or undefined = a free port. */
  port?: number;
  /** Default 'localhost'; issuer = `http://${host}:${port}`. */
  host?: string;
  clients: DemoClientConfig[];
  /** Resource indicator (and `aud`) of the todo API, e.g. 'http://localhost:4001'. */
  apiAudience: string;
  /** Default ['todos:read', 'todos:write']. */
  apiScopes?: string[];
  /** Seconds, default 300. */
  accessTokenTtl?: number;
  /** Seconds, default 86400. */
  refreshTokenTtl?: number;
  /** Seconds, default 3600. */
  idTokenTtl?: number;
  /** Seconds the provider's login session lasts, default = refreshTokenTtl. */
  sessionTtl?: number;
  /** Default true. Reuse of a rotated refresh token revokes the whole grant. */
  rotateRefreshToken?: boolean;
  /** Receives provider errors (server_error, backchannel.error, ...). Default: silent. */
  log?: (message: string, error?: unknown) => void;
  /**
   * Where `DEMO_EXTRA_CLIENT` is read from (see extra-client.ts). Default
   * `process.env`, so `npm run demo` picks it up without demo/start.ts knowing.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * 'fapi2': the FAPI 2.0 Security Profile (fapi2.ts): PAR required,
   * private_key_jwt only, DPoP-bound access tokens, PS256 signatures. Every
   * client then needs `tokenEndpointAuthMethod: 'private_key_jwt'` and `jwks`.
   * Default: none (client secrets, bearer tokens, RS256).
   */
  securityProfile?: DemoSecurityProfile;
  /** FAPI 2 mode: every DPoP proof must carry a provider nonce. Default false. */
  requireDpopNonce?: boolean;
}

export interface DemoProvider {
  issuer: string;
  port: number;
  /** The oidc-provider instance (events, models, ...). */
  provider: Provider;
  /** grant_type -> successful token grants so far. */
  grantCounts(): Record<string, number>;
  resetCounts(): void;
  /** Closes the HTTP server (open connections included). State and keys are kept. */
  stop(): Promise<void>;
  /** Listens again on the same host and port with the same keys and state. */
  restart(): Promise<void>;
  /** Publishes a new signing key first in the JWKS; new tokens use it, the old key stays published. */
  rotateKeys(): Promise<void>;
  /** The current signing kid (first key of the JWKS). */
  currentKid(): string;
  /**
   * Signs a JWT with the provider's current key (tests: logout tokens and ID
   * tokens with chosen claims). `iss` defaults to the issuer, `iat` to now.
   */
  signJwt(payload: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
}

function sendPage(ctx: KoaContextWithOIDC, status: number, html: string): void {
  ctx.status = status;
  ctx.set(PAGE_HEADERS);
  ctx.type = 'html';
  ctx.body = html;
}

function clientNameOf(ctx: KoaContextWithOIDC): string | undefined {
  const client = ctx.oidc?.client;
  return client ? ((client.clientName as string | undefined) ?? client.clientId) : undefined;
}

interface ConfigInput {
  options: DemoProviderOptions;
  clients: DemoClientConfig[];
  jwks: JWK[];
  signingAlg: 'RS256' | 'PS256';
}

function buildConfiguration({ options, clients, jwks, signingAlg }: ConfigInput): Configuration {
  const apiScopes = options.apiScopes ?? ['todos:read', 'todos:write'];
  const accessTokenTtl = options.accessTokenTtl ?? 300;
  const refreshTokenTtl = options.refreshTokenTtl ?? 86_400;
  const sessionTtl = options.sessionTtl ?? refreshTokenTtl;
  const rotate = options.rotateRefreshToken ?? true;
  const tokenTtl = (_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }) => token.resourceServer?.accessTokenTTL ?? accessTokenTtl;

  return {
    adapter: createMemoryAdapter(),
    clients: clients.map((client) => toClientMetadata(client, options.securityProfile)),
    jwks: { keys: jwks as NonNullable<Configuration['jwks']>['keys'] },
    findAccount,
    claims: {
      // acr and auth_time as claims of their own, as in oidc-provider's defaults, and in
      // every ID token (openid scope), not only when a request names them: clients see how
      // and when the user signed in (password or MFA) and can ask for a step-up.
      acr: null,
      auth_time: null,
      sid: null,
      openid: ['sub', 'acr', 'auth_time'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    // Put the profile claims in the ID token too (not only at userinfo).
    conformIdTokenClaims: false,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    clientBasedCORS: () => false, // tokens stay server-side: no browser calls the provider's APIs
    pkce: { required: () => true, methods: ['S256'] },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}`, policy: mfaAwarePolicy() },
    // Password, or password + one-time code (mfa.ts): listed as acr_values_supported.
    acrValues: ACR_VALUES,
    extraTokenClaims: authenticationClaims,
    // A refresh token whenever the client may use the grant (no offline_access + prompt=consent
    // dance needed). Without offline_access it ends with the provider session (logout).
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: rotate,
    ttl: {
      AccessToken: tokenTtl,
      ClientCredentials: tokenTtl,
      AuthorizationCode: 60,
      IdToken: options.idTokenTtl ?? 3600,
      RefreshToken: refreshTokenTtl,
      Interaction: 600,
      Session: sessionTtl,
      Grant: Math.max(refreshTokenTtl, sessionTtl),
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // Lets a client ask for the MFA acr with `claims` as well as `acr_values`.
      claimsParameter: { enabled: true },
      introspection: {
        enabled: true,
        // Only the client a token was issued to may introspect it.
        allowedPolicy: (ctx, _client, token) => token.clientId === ctx.oidc.client?.clientId,
      },
      revocation: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => sendPage(ctx, 200, logoutPage({ form, clientName: clientNameOf(ctx) })),
        postLogoutSuccessSource: (ctx) => sendPage(ctx, 200, loggedOutPage({ clientName: clientNameOf(ctx) })),
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => options.apiAudience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator) => {
          if (resourceIndicator !== options.apiAudience) throw new errors.InvalidTarget();
          return {
            scope: apiScopes.join(' '),
            audience: options.apiAudience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: accessTokenTtl,
            jwt: { sign: { alg: signingAlg } },
          };
        },
      },
    },
    renderError: (ctx, out) => {
      sendPage(ctx, ctx.status >= 400 ? ctx.status : 400, errorPage({ error: out.error, description: out.error_description }));
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}

/** Starts the demo OpenID provider on http://{host}:{port}. */
export async function startDemoProvider(options: DemoProviderOptions): Promise<DemoProvider> {
  const host = options.host ?? 'localhost';
  const log = options.log ?? (() => {});

  // Listen first: with port 0 the issuer (which embeds the port) is only known afterwards.
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const requestListener = (req: IncomingMessage, res: ServerResponse) => {
    if (handler) handler(req, res);
    else res.writeHead(503).end();
  };
  let server: Server | undefined = createServer(requestListener);
  await listen(server, options.port ?? 0, host);
  const { port } = server.address() as AddressInfo;
  const issuer = `http://${host}:${port}`;

  let clients: DemoClientConfig[];
  try {
    clients = withExtraClient(options.clients, options.env ?? process.env);
  } catch (err) {
    await close(server); // a bad DEMO_EXTRA_CLIENT: do not keep the port
    throw err;
  }

  const fapi2 = options.securityProfile === 'fapi2';
  const signingAlg = fapi2 ? FAPI2_SIGNING_ALG : 'RS256';
  const keys: JWK[] = [await generateSigningJwk(signingAlg)];
  let provider: Provider;
  try {
    const configuration = buildConfiguration({ options, clients, jwks: keys, signingAlg });
    const settings = { issuer, ...(options.requireDpopNonce ? { requireDpopNonce: true } : {}) };
    provider = new Provider(issuer, fapi2 ? withFapi2(configuration, settings) : configuration);
  } catch (err) {
    await close(server); // a client the profile refuses: do not keep the port
    throw err;
  }
  provider.use(interactionRoutes(provider));
  handler = provider.callback();

  const counts: Record<string, number> = {};
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const grantType = String(ctx.oidc.params?.grant_type ?? 'unknown');
    counts[grantType] = (counts[grantType] ?? 0) + 1;
  });
  provider.on('server_error', (_ctx: unknown, err: unknown) => log('oidc-provider server_error', err));
  provider.on('backchannel.error', (_ctx: unknown, err: unknown, client: { clientId: string }) => log(`back-channel logout to ${client.clientId} failed`, err));

  return {
    issuer,
    port,
    provider,
    grantCounts: () => ({ ...counts }),
    resetCounts: () => {
      for (const key of Object.keys(counts)) delete counts[key];
    },
    async stop() {
      const current = server;
      server = undefined;
      if (current) await close(current);
    },
    async restart() {
      if (server) return;
      const next = createServer(requestListener);
      await listen(next, port, host);
      server = next;
    },
    async rotateKeys() {
      keys.unshift(await generateSigningJwk(signingAlg));
      await setProviderKeys(provider, keys);
    },
    currentKid: () => keys[0]!.kid!,
    async signJwt(payload, header = {}) {
      const jwk = keys[0]!;
      const key = await importJWK(jwk, signingAlg);
      return new SignJWT({ iss: issuer, iat: Math.floor(Date.now() / 1000), ...payload }).setProtectedHeader({ alg: signingAlg, kid: jwk.kid!, ...header }).sign(key);
    },
  };
}

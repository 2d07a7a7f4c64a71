/**
 * Everything an endpoint test talks to, in this process: the test provider,
 * the echo API and the BFF (mounted in a Koa app with a placeholder page for
 * the application's own paths). Start it once per file in `beforeAll`; every
 * part listens on a free localhost port, so files run in parallel.
 *
 * @example
 * let stack: Stack;
 * beforeAll(async () => { stack = await startStack(); });
 * afterAll(() => stack?.stop());
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type { ClientMetadata } from 'oidc-provider';
import { createBff, silentLogger, type BffMiddleware, type BffOptions } from '../../src/index.ts';
import { startEchoApi, type EchoApi } from './api.ts';
import { startTestProvider, type TestProvider, type TestProviderOptions } from './provider.ts';

/** Scopes the BFF asks for: OpenID Connect, a refresh token, and the echo API's scope. */
export const TEST_SCOPE = 'openid profile email offline_access api:read';

/** What a BFF option function gets to build on. */
export interface StackParts {
  api: EchoApi;
  provider: TestProvider;
  baseUrl: string;
}

export interface StackOptions {
  /** BFF options merged last (e.g. `apis`), or a function of the started parts that returns them. */
  bff?: Partial<BffOptions> | ((parts: StackParts) => Partial<BffOptions>);
  /** More clients at the provider (a second BFF with its own redirect URIs). */
  clients?: ClientMetadata[];
  /** Provider options besides the clients and the API audience. */
  provider?: Omit<TestProviderOptions, 'clients' | 'apiAudience'>;
}

/** A running provider + API + BFF. */
export interface Stack extends StackParts {
  /** The BFF and application origin. */
  bff: BffMiddleware;
  /** The BFF's client at the provider. */
  client: { id: string; secret: string };
  stop(): Promise<void>;
}

/** The application behind the BFF: a page on every GET outside `/bff` and `/api`. */
async function placeholder(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  if (ctx.method !== 'GET' || ctx.path.startsWith('/bff') || ctx.path.startsWith('/api')) return next();
  ctx.type = 'html';
  ctx.body = '<!doctype html><title>Application</title><p>The application page.</p>';
}

/** A Koa app with `bff` in front of the placeholder page; `proxy` trusts X-Forwarded-*. */
export function appFor(bff: BffMiddleware, proxy = false): Koa {
  const app = new Koa();
  app.proxy = proxy;
  app.use(bff);
  app.use(placeholder);
  return app;
}

/** Listens on a free localhost port; resolves with the origin. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  return `http://localhost:${(server.address() as AddressInfo).port}`;
}

/** Closes a server and its open connections. */
export function close(server: Server | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** One more BFF (other options, same provider) in its own Koa app and server; `proxy` trusts X-Forwarded-*. */
export async function startBff(options: BffOptions, proxy = false): Promise<{ url: string; bff: BffMiddleware; stop(): Promise<void> }> {
  const bff = createBff({ logger: silentLogger, ...options });
  const server = createServer(appFor(bff, proxy).callback());
  const url = await listen(server);
  return {
    url,
    bff,
    async stop() {
      await close(server);
      await bff.close();
    },
  };
}

/** The BFF's client registration for `baseUrl`: code + refresh, back-channel logout with sid. */
export function clientFor(baseUrl: string, id: string, secret: string): ClientMetadata {
  return {
    client_id: id,
    client_secret: secret,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [`${baseUrl}/bff/callback`],
    post_logout_redirect_uris: [`${baseUrl}/`],
    token_endpoint_auth_method: 'client_secret_basic',
    backchannel_logout_uri: `${baseUrl}/bff/backchannel-logout`,
    backchannel_logout_session_required: true,
  };
}

/** Starts provider, API and BFF; resolves once all three listen. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  // Listen first: the redirect URIs registered at the provider need the BFF's port.
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handler(req, res));
  const baseUrl = await listen(server);
  const client = { id: 'portcullis-test-bff', secret: randomBytes(24).toString('base64url') };
  const api = await startEchoApi();
  const provider = await startTestProvider({
    ...options.provider,
    apiAudience: api.url,
    clients: [clientFor(baseUrl, client.id, client.secret), ...(options.clients ?? [])],
  });
  const parts: StackParts = { api, provider, baseUrl };
  const bff = createBff({
    issuer: provider.issuer,
    clientId: client.id,
    clientSecret: client.secret,
    baseUrl,
    scope: TEST_SCOPE,
    // oidc-provider keeps offline_access (so issues a refresh token) only with prompt=consent.
    authorizationParams: { prompt: 'consent' },
    session: { keys: [randomBytes(32).toString('base64url')] },
    apis: [{ path: '/api/echo', target: `${api.url}/echo`, token: 'user' }],
    // Tests log in many times from one address.
    rateLimit: { max: 1000, windowSeconds: 60 },
    logger: silentLogger,
    ...(typeof options.bff === 'function' ? options.bff(parts) : options.bff),
  });
  handler = appFor(bff).callback();
  return {
    ...parts,
    bff,
    client,
    async stop() {
      await close(server);
      await bff.close();
      await api.stop();
      await provider.stop();
    },
  };
}

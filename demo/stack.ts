/**
 * The whole demo in one call: the OpenID provider, the todo API and the BFF
 * (serving the SPA build when there is one). The demo command and the
 * integration, security and browser tests all start it through here, on
 * fixed ports (demo) or free ones (tests).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import Koa from 'koa';
import { createBff, type BffLogger, type BffMiddleware, type BffOptions, type SessionStore } from '@portcullis/bff';
import { startTodoApi, type TodoApi } from './api/create-api.ts';
import { demoJobClient } from './job.ts';
import { startDemoProvider, type DemoProvider, type DemoSecurityProfile } from './provider/create-provider.ts';
import { generateClientKey } from './provider/fapi2-client.ts';
import { roundRobin } from './round-robin.ts';
import { serveSpa } from './spa-files.ts';

/** What the demo BFF asks for: OpenID Connect, a refresh token, and the todo API's scopes. */
export const DEMO_SCOPE = 'openid profile email offline_access todos:read todos:write';

/** Options of {@link startDemoStack}; every one has a demo default. */
export interface DemoStackOptions {
  /** Host name in every URL. Default `localhost`. */
  host?: string;
  /** BFF + SPA port. Default 0 (free). The demo uses 3000. */
  bffPort?: number;
  /** Provider port. Default 0 (free). The demo uses 4000. */
  providerPort?: number;
  /** API port. Default 0 (free). The demo uses 4001. */
  apiPort?: number;
  /** The BFF's client secret at the provider. Default: random. */
  clientSecret?: string;
  /** Session cookie signing keys. Default: one random key. */
  sessionKeys?: string[];
  /** Access token lifetime at the provider, seconds. Default 300. */
  accessTokenTtl?: number;
  /** Refresh token lifetime at the provider, seconds. Default 86 400. */
  refreshTokenTtl?: number;
  /** Session store, or a factory called once per instance. Default: the BFF's in-memory store. */
  store?: SessionStore | (() => SessionStore);
  /**
   * BFF instances. Default 1. With more, each instance listens on its own free
   * port with the same configuration (same baseUrl), and the public port is a
   * round-robin balancer in front of them: give them a shared store.
   */
  instances?: number;
  /** Trusted proxy hops in front of the BFF (Koa's `app.proxy` + `app.maxIpsCount`). Default 0: X-Forwarded-* ignored. */
  proxyHops?: number;
  /** BFF logger. Default: the BFF's console logger. */
  logger?: BffLogger;
  /** Directory of the SPA build to serve. Default: none (a small placeholder page). */
  spaDir?: string;
  /**
   * 'fapi2': the FAPI 2.0 Security Profile end to end. The provider requires
   * PAR, private_key_jwt and DPoP-bound tokens (PS256 signatures); the stack
   * generates the BFF's EC P-256 key pair, registers its public JWK, and runs
   * the BFF with `profile: 'fapi2'`, `clientAuthentication: 'private_key_jwt'`
   * and the private key (no client secret); the API requires DPoP. Default:
   * none (client secret, bearer tokens).
   */
  securityProfile?: DemoSecurityProfile;
  /** Extra BFF options (merged last), or a function of the started API and provider that returns them. */
  bff?: Partial<BffOptions> | ((parts: { api: TodoApi; provider: DemoProvider; baseUrl: string }) => Partial<BffOptions>);
}

/** One BFF instance of the stack. */
export interface DemoInstance {
  /** Where this instance listens (the balancer sends requests here). */
  url: string;
  bff: BffMiddleware;
  server: Server;
  /** Whether the instance is stopped. */
  stopped: boolean;
  /** Stops this instance only (scale-out tests: an instance dies mid-traffic). */
  stop(): Promise<void>;
}

/** A running demo stack. */
export interface DemoStack {
  /** The public origin of the SPA and the BFF. */
  baseUrl: string;
  provider: DemoProvider;
  api: TodoApi;
  /** The first instance's BFF. */
  bff: BffMiddleware;
  /** Every BFF instance (one unless `instances` said more). */
  instances: DemoInstance[];
  /** The public HTTP server (the BFF itself, or the balancer in front of the instances). */
  server: Server;
  /**
   * The BFF's client at the provider: id and secret, and in fapi2 mode its key
   * pair (the provider then knows no secret: `secret` is unused).
   */
  client: { id: string; secret: string; privateJwk?: JWK; publicJwk?: JWK };
  stop(): Promise<void>;
}

const listen = (server: Server, port: number, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host === 'localhost' ? undefined : host, () => resolve((server.address() as AddressInfo).port));
  });

/** Starts provider, API and BFF; resolves once all three listen. */
export async function startDemoStack(options: DemoStackOptions = {}): Promise<DemoStack> {
  const host = options.host ?? 'localhost';
  // Listen first so the port (and so the redirect URIs) is known before the provider registers the client.
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handler(req, res));
  const bffPort = await listen(server, options.bffPort ?? 0, host);
  const baseUrl = `http://${host}:${bffPort}`;

  const apiPortServer = options.apiPort ?? 0;
  const fapi2 = options.securityProfile === 'fapi2';
  const client: DemoStack['client'] = {
    id: 'portcullis-demo-bff',
    secret: options.clientSecret ?? randomBytes(24).toString('base64url'),
    ...(fapi2 ? await generateClientKey() : {}),
  };
  // The API's audience must be known by the provider before the API starts: listen first and keep
  // the socket (a port probed and closed could be taken by another process meanwhile).
  const apiServer = createServer((_req, res) => res.writeHead(503).end());
  const apiPort = await listen(apiServer, apiPortServer, host);
  const apiAudience = `http://${host}:${apiPort}`;
  const provider = await startDemoProvider({
    port: options.providerPort ?? 0,
    host,
    apiAudience,
    accessTokenTtl: options.accessTokenTtl ?? 300,
    refreshTokenTtl: options.refreshTokenTtl ?? 86_400,
    ...(fapi2 ? { securityProfile: 'fapi2' as const } : {}),
    clients: [
      {
        clientId: client.id,
        ...(fapi2 ? { tokenEndpointAuthMethod: 'private_key_jwt' as const, jwks: { keys: [client.publicJwk!] } } : { clientSecret: client.secret }),
        clientName: 'Portcullis demo',
        grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
        redirectUris: [`${baseUrl}/bff/callback`],
        postLogoutRedirectUris: [`${baseUrl}/`],
        backchannelLogoutUri: `${baseUrl}/bff/backchannel-logout`,
      },
      demoJobClient(options.securityProfile),
    ],
  });
  const api = await startTodoApi({
    server: apiServer,
    host,
    issuer: provider.issuer,
    audience: apiAudience,
    requireScopes: true,
    // FAPI 2: a DPoP-bound token is useless without its key, bearer tokens are refused.
    ...(fapi2 ? { dpop: { required: true } } : {}),
  });
  const sessionKeys = options.sessionKeys ?? [randomBytes(32).toString('base64url')];

  const createdStores: SessionStore[] = [];
  const storeFor = (): SessionStore | undefined => {
    if (typeof options.store !== 'function') return options.store;
    const store = options.store();
    createdStores.push(store);
    return store;
  };
  const makeBff = () => {
    const store = storeFor();
    return createBff({
      issuer: provider.issuer,
      clientId: client.id,
      // fapi2 implies DPoP and PAR in the BFF.
      ...(fapi2 ? { profile: 'fapi2' as const, clientAuthentication: 'private_key_jwt' as const, clientPrivateKey: client.privateJwk! } : { clientSecret: client.secret }),
      baseUrl,
      // The API checks todos:read / todos:write: ask for them (least privilege on the API side).
      scope: DEMO_SCOPE,
      session: { keys: sessionKeys, ...(store ? { store } : {}) },
      apis: [{ path: '/api/todos', target: `${api.url}/todos`, token: 'user' }],
      // Tests log in many times from one address; deployments keep the default (60 a minute).
      rateLimit: { max: 1000, windowSeconds: 60 },
      ...(options.logger ? { logger: options.logger } : {}),
      ...(typeof options.bff === 'function' ? options.bff({ api, provider, baseUrl }) : options.bff),
    });
  };
  const appFor = (bff: BffMiddleware) => {
    const app = new Koa();
    if (options.proxyHops) {
      // Behind that many appending proxies: ctx.ip is the rightmost entry they did not write.
      app.proxy = true;
      app.maxIpsCount = options.proxyHops;
    }
    app.use(bff);
    app.use(serveSpa(options.spaDir));
    return app;
  };

  const instances: DemoInstance[] = [];
  const count = options.instances ?? 1;
  if (count === 1) {
    const bff = makeBff();
    handler = appFor(bff).callback();
    instances.push({ url: baseUrl, bff, server, stopped: false, stop: async () => {} });
  } else {
    for (let i = 0; i < count; i++) {
      const bff = makeBff();
      const instanceServer = createServer(appFor(bff).callback());
      const port = await listen(instanceServer, 0, host);
      const instance: DemoInstance = {
        url: `http://${host}:${port}`,
        bff,
        server: instanceServer,
        stopped: false,
        async stop() {
          if (instance.stopped) return;
          instance.stopped = true;
          await closeServer(instanceServer);
          await bff.close();
        },
      };
      instances.push(instance);
    }
    handler = roundRobin(() => instances.filter((i) => !i.stopped).map((i) => i.url));
  }

  return {
    baseUrl,
    provider,
    api,
    bff: instances[0]!.bff,
    instances,
    server,
    client,
    async stop() {
      await closeServer(server);
      for (const instance of instances) {
        if (count > 1) await instance.stop();
        else await instance.bff.close();
      }
      for (const store of createdStores) await (store as { close?: () => Promise<void> | void }).close?.();
      await api.stop();
      await provider.stop();
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

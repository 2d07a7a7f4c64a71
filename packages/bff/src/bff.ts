/**
 * `createBff(options)`: one Koa middleware that mounts the BFF endpoints
 * under `options.path` (default `/bff`) and the allowlisted API proxy routes.
 * Requests for anything else pass straight to the next middleware, without
 * a session lookup (static files of the SPA, for instance).
 */
import type { IncomingMessage, RequestListener } from 'node:http';
import type { Duplex } from 'node:stream';
import compose from 'koa-compose';
import type Koa from 'koa';
import { Router } from '@koa/router';
import type { Bff } from './context.ts';
import { backchannelLogoutRoute } from './endpoints/backchannel-logout.ts';
import { callbackRoute } from './endpoints/callback.ts';
import { loginRoute } from './endpoints/login.ts';
import { logoutRoute } from './endpoints/logout.ts';
import type { Route, RouteDeps } from './endpoints/route.ts';
import { sessionsRoutes } from './endpoints/sessions.ts';
import { userRoute } from './endpoints/user.ts';
import { MethodNotAllowed, NotFound } from './errors.ts';
import { diagnosticsRoute } from './endpoints/diagnostics.ts';
import { frontchannelLogoutRoute } from './endpoints/frontchannel-logout.ts';
import { jwksRoute } from './endpoints/jwks.ts';
import { registerInternals } from './internals.ts';
import { createConsoleLogger } from './logger.ts';
import { FixedWindowLimiter, rateLimit } from './middleware/rate-limit.ts';
import { requireCsrfHeader } from './middleware/csrf-header.ts';
import { errorHandler } from './middleware/error-handler.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import { type BffOptions, resolveOptions } from './options.ts';
import { ProviderClient } from './protocol/provider-client.ts';
import { shownClaims } from './protocol/user-claims.ts';
import { createApiHandler, ProxyEngine } from './proxy/api-proxy.ts';
import { createFastHandler, fastCallback } from './proxy/fast-path.ts';
import type { FastHandler, KoaLike } from './proxy/fast-types.ts';
import { createRouter, noncanonicalError } from './proxy/routing.ts';
import { createUpgradeHandler } from './proxy/websocket-proxy.ts';
import { createRequireSession, type RequireSessionOptions } from './require-session.ts';
import { TokenCipher } from './session/crypto.ts';
import { MemorySessionStore } from './session/memory-store.ts';
import { SessionRepository } from './session/repository.ts';
import { createProxySessionMiddleware, createSessionReader } from './session/proxy-session.ts';
import { commitSession, createSessionMiddleware } from './session/session-middleware.ts';
import { ClientCredentials } from './tokens/client-credentials.ts';
import { renewClaims, type RefreshedSession } from './tokens/refreshed-claims.ts';
import { TokenManager } from './tokens/token-manager.ts';

/** The middleware `createBff` returns, with a handle on its parts. */
export interface BffMiddleware extends Koa.Middleware {
  /**
   * The HTTP server's `upgrade` handler for routes with `ws: true`:
   * `server.on('upgrade', bff.upgrade)`. Returns false when no such route matches.
   */
  readonly upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;
  /**
   * Middleware for the application's own routes mounted next to the BFF: CSRF header check,
   * session lookup, 401 JSON without a session, then `ctx.state.user` and `ctx.state.accessToken()`
   * ({@link SessionState}).
   */
  requireSession(options?: RequireSessionOptions): Koa.Middleware;
  /**
   * The Node-level fast path for allowlisted API calls: answers them without building a Koa
   * context and returns true, or returns false (and touches nothing) for any other request.
   * Put it in front of the Koa app: `http.createServer((req, res) => bff.handle(req, res, { trustProxy: app.proxy }) || app.callback()(req, res))`,
   * or {@link BffMiddleware.callback}. Middleware mounted before the BFF does not run for these calls.
   */
  readonly handle: FastHandler;
  /** `http.createServer(bff.callback(app))`: {@link BffMiddleware.handle} first, then `app` (its `proxy` setting is followed). */
  readonly callback: (app: KoaLike) => RequestListener;
  /** Releases timers and upstream connections (the store is the caller's unless defaulted). */
  close(): Promise<void>;
}

/** Every BFF endpoint, as its file declares it. */
const ROUTES: readonly Route[] = [loginRoute, callbackRoute, userRoute, logoutRoute, backchannelLogoutRoute, frontchannelLogoutRoute, ...sessionsRoutes, diagnosticsRoute, jwksRoute];

/**
 * Creates the BFF middleware. Options are validated here, once; a wrong
 * option throws a `BffOptionsError` naming it.
 */
export function createBff(input: BffOptions): BffMiddleware {
  const options = resolveOptions(input);
  const logger = options.logger ?? createConsoleLogger();
  const ownStore = options.session.store === undefined;
  const store = options.session.store ?? new MemorySessionStore({ logger });
  const cipher = new TokenCipher(options.session.keys);
  const repository = new SessionRepository(store, cipher);
  const provider = new ProviderClient(options, store, cipher);
  const claimsDeps = { provider, repository, logger, shown: (claims: Readonly<Record<string, unknown>>) => shownClaims(claims, options.user.claims) };
  const tokens = new TokenManager({
    provider,
    repository,
    store,
    logger,
    refreshSkew: options.refreshSkew,
    events: options.events,
    ...(options.hooks.onRefresh ? { onRefresh: options.hooks.onRefresh } : {}),
    // Thin ID tokens: the claims of userinfo are fetched again at each refresh, as at login.
    ...(options.userinfo ? { afterRefresh: (refreshed: RefreshedSession) => renewClaims(claimsDeps, refreshed) } : {}),
  });
  const clientTokens = new ClientCredentials({ provider, refreshSkew: options.refreshSkew });
  const bff: Bff = { options, provider, store, repository, tokens, clientTokens, logger };
  if (!options.session.secure) {
    logger.warn({ baseUrl: options.origin }, 'plain-http localhost baseUrl: cookies are sent without Secure and without the __Host- prefix (development only)');
  }

  const engine = new ProxyEngine();
  const session = createSessionMiddleware(options, repository);
  const handleErrors = errorHandler(logger, `${options.path}/login`);

  const limiter = options.rateLimit === false ? undefined : 'hit' in options.rateLimit ? options.rateLimit : new FixedWindowLimiter(options.rateLimit.max, options.rateLimit.windowSeconds);
  const limited = (name: string): Koa.Middleware[] => (limiter ? [rateLimit(limiter, name)] : []);

  const endpoints = new Router({ prefix: options.path });
  const deps: RouteDeps = { bff, csrf: requireCsrfHeader(options.origin), limit: limited };
  const served = ROUTES.filter((route) => route.enabled?.(options) ?? true);
  for (const route of served) endpoints.register(route.path, [route.method], route.stack(deps));
  const bffStack = compose([securityHeaders(), handleErrors, session, commitAfter, endpoints.routes() as Koa.Middleware, unknownEndpoint(endpoints)]);

  // Proxied calls only read sessions: a lean reader instead of koa-session on the hot path, and one
  // handler per route on Node's request and response, which both the Koa route and `handle` call.
  const reader = createSessionReader(options, repository);
  const proxySession = createProxySessionMiddleware(options, repository, reader);
  const route = createRouter(
    options.path,
    options.apis.map((api) => ({ path: api.path, handle: createApiHandler(bff, engine, api, reader) })),
  );
  const warnedApps = new WeakSet<Koa>();

  const middleware = async function portcullis(ctx: Koa.Context, next: Koa.Next): Promise<void> {
    if (ctx.app.proxy && !ctx.app.maxIpsCount && !warnedApps.has(ctx.app)) {
      warnedApps.add(ctx.app);
      logger.warn(
        {},
        'app.proxy is on without app.maxIpsCount: Koa takes ctx.ip from the leftmost X-Forwarded-For entry, which the client writes (rate limits can be bypassed). Set app.maxIpsCount to the number of proxies in front.',
      );
    }
    const match = route(ctx.path);
    if (match?.kind === 'bff') return bffStack(ctx, next);
    if (match?.kind === 'api') {
      // The handler answers on ctx.res itself, errors included; Koa's middleware sees the call end with the response.
      ctx.respond = false;
      await match.route.handle({ req: ctx.req, res: ctx.res, path: ctx.path, search: ctx.search, trustProxy: ctx.app.proxy });
      if (!ctx.res.closed) await new Promise((resolve) => ctx.res.once('close', resolve));
      return;
    }
    if (match?.kind === 'noncanonical') {
      return handleErrors(ctx, async () => {
        throw noncanonicalError(match.bff);
      });
    }
    return next();
  } as BffMiddleware;
  const handle = createFastHandler(route, logger);
  Object.defineProperty(middleware, 'handle', { value: handle });
  Object.defineProperty(middleware, 'callback', { value: (app: KoaLike) => fastCallback(handle, app) });
  registerInternals(middleware, bff);
  middleware.requireSession = createRequireSession(bff, handleErrors, proxySession);
  Object.defineProperty(middleware, 'upgrade', { value: createUpgradeHandler(bff, engine, session) });
  middleware.close = async () => {
    engine.close();
    tokens.close();
    if (ownStore) (store as MemorySessionStore).close();
  };
  return middleware;
}

/** Commits the session once the endpoint succeeded (koa-session's autoCommit is off; a failed request changes nothing). */
async function commitAfter(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  await next();
  await commitSession(ctx);
}

/** 404 for unknown paths under the BFF prefix, 405 (with the declared methods) for known ones with another method. */
function unknownEndpoint(router: Router): Koa.Middleware {
  // Reached only when no endpoint handled the request.
  return async function notFound(ctx) {
    const declared = new Set(router.match(ctx.path, ctx.method).path.flatMap((layer) => layer.methods));
    const allowed = METHOD_ORDER.filter((m) => declared.has(m));
    throw allowed.length ? new MethodNotAllowed(allowed) : new NotFound('No BFF endpoint at this path.');
  };
}

const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

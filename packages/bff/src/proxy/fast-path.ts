/**
 * The Node-level fast path: `bff.handle(req, res)` answers allowlisted API
 * calls on Node's request and response without building a Koa context, with
 * the same handler as the Koa route (proxy/api-proxy.ts). A server puts it in
 * front of its Koa app; everything else (BFF endpoints, the application)
 * stays on Koa.
 */
import type { RequestListener } from 'node:http';
import type { BffLogger } from '../logger.ts';
import type { ApiHandler } from './api-proxy.ts';
import { answerError } from './raw-answer.ts';
import type { FastHandler, KoaLike } from './fast-types.ts';
import { noncanonicalError, splitTarget, type RouteMatch } from './routing.ts';

export type { FastHandler, HandleOptions, KoaLike } from './fast-types.ts';

/** The fast path over the BFF's router and its per-route handlers. */
export function createFastHandler(route: (path: string) => RouteMatch<{ handle: ApiHandler }>, logger: BffLogger): FastHandler {
  return (req, res, options) => {
    const target = splitTarget(req.url);
    if (!target) return false;
    const match = route(target.path);
    if (match?.kind === 'api') {
      const exchange = { req, res, ...target, trustProxy: options?.trustProxy ?? false };
      // The handler answers its own errors; this catch is for a bug in it, never a hanging request.
      const failed = (err: unknown): void => {
        answerError(exchange, err, logger);
        if (!res.writableEnded) res.destroy();
      };
      try {
        match.route.handle(exchange)?.catch(failed);
      } catch (err) {
        failed(err);
      }
      return true;
    }
    if (match?.kind === 'noncanonical' && !match.bff) {
      answerError({ req, res, path: target.path }, noncanonicalError(false), logger);
      return true;
    }
    // BFF endpoints (and their other spellings, refused with 404 there) stay on Koa.
    return false;
  };
}

/** `http.createServer(bff.callback(app))`: the fast path first, then the Koa app (whose `proxy` setting it follows). */
export function fastCallback(handle: FastHandler, app: KoaLike): RequestListener {
  const koa = app.callback();
  return (req, res) => {
    if (!handle(req, res, { trustProxy: app.proxy })) void koa(req, res);
  };
}

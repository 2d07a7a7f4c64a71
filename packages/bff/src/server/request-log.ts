/**
 * Request ids and the access log.
 *
 * Every request gets an id: the incoming `X-Request-Id` when it is a short
 * safe token, else a new UUID. It is set on the response, passed on to
 * proxied APIs (the incoming header is rewritten to the validated value), and
 * added to every log line written while the request runs.
 *
 * One access-log line per request, once the response is finished or the
 * client gave up: method, path WITHOUT the query string (it can carry
 * `code` and `state`), status, duration.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type Koa from 'koa';
import type { BffLogger } from '../logger.ts';
import { requestContext } from './logger.ts';

/** What an incoming request id may look like to be kept. */
export const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The request id of a request (set by {@link requestId}). */
export function requestIdOf(ctx: Koa.Context): string | undefined {
  return (ctx.state as { requestId?: string }).requestId;
}

/** Assigns the request id and runs the rest of the request in its logging context. */
export function requestId(): Koa.Middleware {
  return async function assignRequestId(ctx, next) {
    const incoming = ctx.get('x-request-id');
    const id = SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    (ctx.state as { requestId?: string }).requestId = id;
    ctx.req.headers['x-request-id'] = id;
    ctx.set('X-Request-Id', id);
    await requestContext.run({ reqId: id }, next);
  };
}

/** Writes one access-log line per request. */
export function accessLog(logger: BffLogger): Koa.Middleware {
  return async function logAccess(ctx, next) {
    const started = performance.now();
    const { method } = ctx;
    // ctx.path is the URL path alone: the query string never reaches the log.
    const path = ctx.path;
    const reqId = requestIdOf(ctx);
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      const { res } = ctx;
      const status = res.statusCode;
      const fields: Record<string, unknown> = {
        reqId,
        method,
        path,
        status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
      };
      const length = res.getHeader('content-length');
      if (length !== undefined) fields['bytes'] = Number(length);
      if (!res.writableFinished) fields['aborted'] = true;
      if (status >= 500) logger.error(fields, 'request');
      else logger.info(fields, 'request');
    };
    ctx.res.once('close', done);
    await next();
  };
}

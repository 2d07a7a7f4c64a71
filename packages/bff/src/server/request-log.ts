/**
 * Request ids and the access log, on Node's request and response, so that
 * they cover both the BFF's fast path (`bff.handle`, no Koa context) and the
 * Koa app behind it alike.
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
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parse } from 'node:url';
import type Koa from 'koa';
import type { BffLogger } from '../logger.ts';
import { splitTarget } from '../proxy/routing.ts';
import { requestContext, scrubString, SCRUBBED } from './logger.ts';

/** What an incoming request id may look like to be kept. */
export const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

const REQUEST_ID = Symbol('portcullis.requestId');
type Tagged = IncomingMessage & { [REQUEST_ID]?: string };

/** The request id of a request (set by {@link withRequestLog}). */
export function requestIdOf(ctx: Koa.Context): string | undefined {
  return (ctx.state as { requestId?: string }).requestId;
}

/**
 * Wraps a server's request listener: assigns the request id, writes the access line, and runs
 * `next` (the fast path, then Koa) in the request's logging context.
 */
export function withRequestLog(logger: BffLogger, next: RequestListener): RequestListener {
  return (req, res) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    (req as Tagged)[REQUEST_ID] = id;
    req.headers['x-request-id'] = id;
    res.setHeader('X-Request-Id', id);
    // Read before `next`: the proxy rewrites req.url to the upstream path.
    res.once('close', accessLine(logger, req.method, requestPath(req.url), id, res, performance.now()));
    requestContext.run({ reqId: id }, next, req, res);
  };
}

/** Puts the id {@link withRequestLog} assigned on `ctx.state.requestId`, for the Koa app's own code. */
export function requestIdState(): Koa.Middleware {
  return function requestIdToState(ctx, next) {
    (ctx.state as { requestId?: string }).requestId = (ctx.req as Tagged)[REQUEST_ID];
    return next();
  };
}

/** The access line's writer, called once on the response's `close`. */
function accessLine(logger: BffLogger, method: string | undefined, path: string | null, reqId: string, res: ServerResponse, started: number): () => void {
  return () => {
    const status = res.statusCode;
    // Scrubbed here, field by field (the formatter skips the walk): the method is a token Node's parser checked.
    const fields: Record<string, unknown> = {
      [SCRUBBED]: true,
      reqId: scrubString(reqId),
      method,
      path: path === null ? null : scrubString(path),
      status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    };
    const length = res.getHeader('content-length');
    if (length !== undefined) fields['bytes'] = Number(length);
    if (!res.writableFinished) fields['aborted'] = true;
    if (status >= 500) logger.error(fields, 'request');
    else logger.info(fields, 'request');
  };
}

/** The request's path without the query string, as Koa's `ctx.path` reads it (parseurl). */
export function requestPath(url: string | undefined): string | null {
  const target = splitTarget(url);
  if (target) return target.path;
  // Other forms (absolute-form, `#`, whitespace): the legacy parser, as parseurl falls back to.
  return parse(url ?? '').pathname;
}

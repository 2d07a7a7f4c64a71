/**
 * Request ids and the access log, on Node's request and response, so that
 * they cover both the BFF's fast path (`bff.handle`, no Koa context) and the
 * Koa app behind it alike.
 *
 * Every request gets an id: the incoming `X-Request-Id` when it is a short
 * safe token, else a new UUID. It is set on the response, passed on to
 * proxied APIs (the incoming header is rewritten to the validated value), and
 * added to the log lines about the request: the fast path's own (its answers
 * and refusals) and every line written while a Koa-routed request runs.
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
import { requestIdOf, setRequestId } from '../request-id.ts';
import { requestContext, scrubString, SCRUBBED, withoutRedaction } from './logger.ts';

/** What an incoming request id may look like to be kept. */
export const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Wraps a server's request handling: assigns the request id and writes the access line.
 *
 * `fast` (the BFF's fast path; true when it took the request) runs first, outside any logging
 * context: its lines about the request carry the id explicitly. Requests it leaves go to `next`
 * (Koa), in the request's logging context, so every line written while they run carries the id.
 * That context is switched off whenever no such request runs: on Node 20 an enabled
 * `AsyncLocalStorage` puts a hook on every promise and async resource of the process, which cost
 * proxied calls ~19 µs each (bench/). A line written by a request's leftover background work
 * after the last such request ended goes without the id.
 */
export function withRequestLog(logger: BffLogger, fast: (req: IncomingMessage, res: ServerResponse) => boolean, next: (req: IncomingMessage, res: ServerResponse) => unknown): RequestListener {
  const access = withoutRedaction(logger);
  let inContext = 0;
  const left = (): void => {
    if (--inContext === 0) requestContext.disable();
  };
  return (req, res) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    setRequestId(req, id);
    req.headers['x-request-id'] = id;
    res.setHeader('X-Request-Id', id);
    // Read before `next`: the proxy rewrites req.url to the upstream path.
    res.once('close', accessLine(access, req.method, requestPath(req.url), id, res, performance.now()));
    if (fast(req, res)) return;
    inContext++;
    let handled: unknown;
    try {
      handled = requestContext.run({ reqId: id }, next, req, res);
    } finally {
      void Promise.resolve(handled).finally(left);
    }
  };
}

/** Puts the id {@link withRequestLog} assigned on `ctx.state.requestId`, for the Koa app's own code. */
export function requestIdState(): Koa.Middleware {
  return function requestIdToState(ctx, next) {
    (ctx.state as { requestId?: string }).requestId = requestIdOf(ctx.req);
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

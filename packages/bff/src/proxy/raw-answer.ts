/**
 * Answers and checks on Node's own request and response, for proxied calls
 * (no Koa context on the fast path): the same JSON error answers, headers and
 * log lines as middleware/error-handler.ts, and the CSRF rule of
 * middleware/csrf-header.ts.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type Koa from 'koa';
import { BffError, ServerError } from '../errors.ts';
import type { BffLogger } from '../logger.ts';
import { isSameOriginRequest } from '../middleware/csrf-header.ts';
import { summarize } from '../middleware/error-handler.ts';
import { requestIdOf } from '../request-id.ts';

/** Whether the request passes the CSRF check of middleware/csrf-header.ts. */
export function sameOrigin(headers: IncomingHttpHeaders, origin: string): boolean {
  // The check reads headers through `ctx.get` only.
  return isSameOriginRequest(new HeaderReader(headers) as unknown as Koa.Context, origin);
}

/** Koa's `ctx.get` over raw headers: the header's value, or ''. (A class: no closure per request.) */
class HeaderReader {
  constructor(private readonly headers: IncomingHttpHeaders) {}
  get(name: string): string {
    return String(this.headers[name] ?? '');
  }
}

/** Where an error answer goes: the request (for the log line) and its response. */
export interface RawExchange {
  req: IncomingMessage;
  res: ServerResponse;
  /** The raw request path, as logged by the Koa error handler (`ctx.path`). */
  path: string;
}

/**
 * Logs `caught` and answers it as the Koa error handler does: the error's status and headers,
 * `Cache-Control: no-store`, JSON `{ error, error_description }` (no body for HEAD).
 * Nothing is written once the response has started.
 */
export function answerError({ req, res, path }: RawExchange, caught: unknown, logger: BffLogger): void {
  const err = caught instanceof BffError ? caught : new ServerError();
  const method = req.method;
  // The id a server in front assigned (portcullis serve): the fast path runs outside its logging context.
  const reqId = requestIdOf(req);
  const about = reqId === undefined ? { method, path, status: err.status } : { reqId, method, path, status: err.status };
  if (err.status >= 500) logger.error({ err: summarize(caught), ...about }, 'request failed');
  else logger.info({ code: err.code, ...about }, 'request refused');
  if (res.headersSent) return;
  const body = JSON.stringify(err.toJSON());
  res.writeHead(err.status, {
    ...err.headers,
    'cache-control': 'no-store',
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(method === 'HEAD' ? undefined : body);
}

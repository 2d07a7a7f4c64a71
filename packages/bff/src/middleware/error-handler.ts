/**
 * Turns errors into responses: JSON `{ error, error_description }` for API
 * callers, a readable page for browser navigations. Unexpected errors are
 * logged (name and message only: some library errors carry request bodies
 * with secrets) and answered with a generic 500.
 */
import type Koa from 'koa';
import { BffError, ServerError } from '../errors.ts';
import type { BffLogger } from '../logger.ts';
import { errorPage } from './error-page.ts';

const HTML_ERRORS = Symbol('portcullis.htmlErrors');

/** Lets a navigation endpoint (login, callback, logout) answer errors with a page when the browser asks for HTML. */
export function preferHtmlErrors(ctx: Koa.Context): void {
  (ctx.state as Record<symbol, boolean>)[HTML_ERRORS] = true;
}

/** The error-handling middleware; `loginPath` is linked from error pages. */
export function errorHandler(logger: BffLogger, loginPath: string): Koa.Middleware {
  return async function handleErrors(ctx, next) {
    try {
      await next();
    } catch (caught) {
      const err = caught instanceof BffError ? caught : new ServerError();
      if (err.status >= 500) logger.error({ err: summarize(caught), method: ctx.method, path: ctx.path, status: err.status }, 'request failed');
      else logger.info({ code: err.code, method: ctx.method, path: ctx.path, status: err.status }, 'request refused');
      if (ctx.respond === false || ctx.res.headersSent) return;
      ctx.status = err.status;
      ctx.set(err.headers);
      ctx.set('Cache-Control', 'no-store');
      const html = (ctx.state as Record<symbol, boolean>)[HTML_ERRORS] && ctx.accepts('json', 'html') === 'html';
      if (html) {
        ctx.type = 'html';
        ctx.body = errorPage(err.status, err.code, err.message, loginPath);
      } else {
        ctx.body = err.toJSON();
      }
    }
  };
}

/** Name, message and cause chain of an error, without its other properties (which may hold secrets). */
export function summarize(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  return { name: err.name, message: err.message, ...(err.cause ? { cause: summarize(err.cause) } : {}) };
}

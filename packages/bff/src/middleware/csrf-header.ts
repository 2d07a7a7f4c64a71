/**
 * CSRF defence for data-returning and state-changing endpoints: the request
 * must carry `X-CSRF: 1`. A cross-site page cannot add a custom header
 * without a CORS preflight, which the BFF never grants. A present `Origin`
 * must be the BFF's own, and `Sec-Fetch-Site`, when sent, must not be
 * `cross-site`.
 */
import type Koa from 'koa';
import { CsrfRequired } from '../errors.ts';

/** Whether the request passes the CSRF checks for `origin`. */
export function isSameOriginRequest(ctx: Koa.Context, origin: string): boolean {
  if (ctx.get('x-csrf') !== '1') return false;
  const requestOrigin = ctx.get('origin');
  if (requestOrigin && requestOrigin !== origin) return false;
  const site = ctx.get('sec-fetch-site');
  return site !== 'cross-site' && site !== 'same-site';
}

/** Rejects with 403 `csrf_required` unless {@link isSameOriginRequest}. */
export function requireCsrfHeader(origin: string): Koa.Middleware {
  return async function csrfHeader(ctx, next) {
    if (!isSameOriginRequest(ctx, origin)) throw new CsrfRequired();
    await next();
  };
}

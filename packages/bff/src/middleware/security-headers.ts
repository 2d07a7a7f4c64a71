/**
 * Headers on every BFF endpoint response: nothing the BFF says may be cached
 * (RFC 9700 §4.x, and old proxies read `Pragma`), sniffed, or leak a URL.
 */
import type Koa from 'koa';

/** Sets `Cache-Control: no-store`, `Pragma: no-cache`, `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`. */
export function securityHeaders(): Koa.Middleware {
  return async function noStore(ctx, next) {
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Pragma', 'no-cache');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    await next();
  };
}

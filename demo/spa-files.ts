/**
 * The demo SPA's files: the Vite build when there is one, else a small page
 * that says how to build it. `/bff` and `/api` are never answered from here.
 */
import type Koa from 'koa';
import { serveStatic } from '@portcullis/bff/server';

/** CSP the demo SPA passes: its own scripts and styles only, no inline script, no framing. */
export const DEMO_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/** The SPA middleware for `dir`, or the placeholder page. */
export function serveSpa(dir: string | undefined): Koa.Middleware {
  if (dir) return serveStatic({ root: dir, exclude: ['/bff', '/api'], contentSecurityPolicy: DEMO_CSP });
  return async function placeholder(ctx, next) {
    if (ctx.method !== 'GET' || ctx.path.startsWith('/bff') || ctx.path.startsWith('/api')) return next();
    ctx.type = 'html';
    ctx.body = '<!doctype html><title>Portcullis</title><p>No SPA build: run <code>npm run demo</code>, or <a href="/bff/login">log in</a>.</p>';
  };
}

/**
 * Serves an SPA's static build beside the BFF: correct content types, ETags,
 * `immutable` caching for hashed assets and `no-cache` for the rest, and the
 * SPA fallback to index.html for client routes. The fallback never answers
 * for excluded prefixes (the BFF's path and API routes) nor for a missing
 * file with an extension, which is a 404. Dotfiles (`/.env`, `/.git/…`) are
 * never served, except under `/.well-known/`.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type Koa from 'koa';

/** Options of {@link serveStatic}. */
export interface StaticFilesOptions {
  /** Directory of the build (e.g. `./dist`). */
  root: string;
  /** Serve index.html for paths without an extension that match no file. Default `true`. */
  spaFallback?: boolean;
  /** Path prefixes never served from here (e.g. `['/bff', '/api']`). */
  exclude?: string[];
  /** Content-Security-Policy for HTML responses. Default: none. */
  contentSecurityPolicy?: string;
  /**
   * Which files are content-hashed and cached for a year as `immutable`: a test of the
   * URL path. Default: names with a hash (`index-3f9a2c1b.js`, `main.3f9a2c1b.js`) under
   * `/assets/` (Vite) or `/static/` (webpack, Create React App), where bundlers write only
   * hashed files. Everything else is `no-cache` (revalidated with the ETag).
   */
  immutable?: RegExp | ((urlPath: string) => boolean);
}

/** File names with a content hash, as Vite and most bundlers write them (`index-3f9a2c1b.js`). */
const HASHED = /[.-][A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;
/** Directories where bundlers put hashed files only. */
const HASHED_DIRS = /^\/(?:assets|static)\//;

const defaultImmutable = (urlPath: string): boolean => HASHED_DIRS.test(urlPath) && HASHED.test(path.posix.basename(urlPath));

/** The static-files middleware. */
export function serveStatic(options: StaticFilesOptions): Koa.Middleware {
  const root = path.resolve(options.root);
  const exclude = options.exclude ?? [];
  const fallback = options.spaFallback ?? true;
  const isImmutable =
    options.immutable instanceof RegExp ? (p: string) => (options.immutable as RegExp).test(p) : (options.immutable ?? defaultImmutable);
  return async function staticFiles(ctx, next) {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || exclude.some((p) => ctx.path === p || ctx.path.startsWith(`${p}/`))) return next();
    let relative: string;
    try {
      relative = decodeURIComponent(ctx.path);
    } catch {
      return next();
    }
    if (relative.includes('\0') || relative.includes('\\')) return next();
    const segments = relative.split('/');
    if (segments.some((s, i) => s.startsWith('.') && !(i === 1 && s === '.well-known'))) return next();
    let file = path.join(root, path.normalize(relative));
    if (file !== root && !file.startsWith(root + path.sep)) return next();
    if (relative.endsWith('/')) file = path.join(file, 'index.html');
    let stats = await stat(file).catch(() => undefined);
    let urlPath = relative;
    if (!stats?.isFile()) {
      if (!fallback || path.posix.extname(relative)) return next();
      file = path.join(root, 'index.html');
      urlPath = '/index.html';
      stats = await stat(file).catch(() => undefined);
      if (!stats?.isFile()) return next();
    }
    ctx.type = path.extname(file);
    ctx.set('ETag', `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`);
    ctx.set('Last-Modified', stats.mtime.toUTCString());
    ctx.set('Cache-Control', isImmutable(urlPath) ? 'public, max-age=31536000, immutable' : 'no-cache');
    ctx.set('X-Content-Type-Options', 'nosniff');
    if (ctx.type.startsWith('text/html')) {
      ctx.set('Referrer-Policy', 'no-referrer');
      ctx.set('X-Frame-Options', 'DENY');
      if (options.contentSecurityPolicy) ctx.set('Content-Security-Policy', options.contentSecurityPolicy);
    }
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.length = stats.size;
    // HEAD: headers only (Koa sends no body; a stream would stay open).
    if (ctx.method === 'GET') ctx.body = createReadStream(file);
  };
}

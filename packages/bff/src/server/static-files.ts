/**
 * Serves an SPA's static build beside the BFF: correct content types, ETags,
 * `immutable` caching for hashed assets and `no-cache` for the rest, and the
 * SPA fallback to index.html for client routes. The fallback never answers
 * for excluded prefixes (the BFF's path and API routes) nor for a missing
 * file with an extension, which is a 404. Dotfiles (`/.env`, `/.git/…`) are
 * never served, except under `/.well-known/`.
 *
 * Compression: a precompressed `app.js.br` / `app.js.gz` next to `app.js` is
 * served when the request accepts it; otherwise text types of at least 1 KiB
 * are compressed on the fly (brotli, else gzip; see static-encoding.ts).
 * Every response says `Vary: Accept-Encoding`, and each encoding has its own
 * ETag (`W/"size-mtime-br"`), so caches and 304s never mix them up. A request
 * with `Range` gets the uncompressed bytes: one range (206), the whole file for
 * several, 416 when none of it exists.
 *
 * Symbolic links are followed only when their target lies under the root's
 * real path: the lexical check on the URL cannot see links, and `stat` and
 * `createReadStream` follow them, so a link in the build output (to `/etc`,
 * to a home directory) would otherwise serve any file the process can read.
 * A link that stays inside the root (e.g. `latest.js -> app-1a2b3c4d.js`) is
 * served; one that leaves it is treated as a missing file. Precompressed
 * variants pass the same check, and one older than its original (a leftover
 * of an earlier build) is ignored.
 */
import { createReadStream, type Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type Koa from 'koa';
import { acceptedEncodings, Compressor, isCompressible, SUFFIX, type CompressorOptions, type Encoding } from './static-encoding.ts';
import { ifRangeHolds, parseRange } from './static-range.ts';

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
  /**
   * On-the-fly compression of text types (precompressed `.br`/`.gz` files are served
   * either way). Default `true` (1 KiB threshold, 16 MiB cache); `false` when a proxy
   * in front compresses.
   */
  compress?: boolean | CompressorOptions;
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
  const isImmutable = options.immutable instanceof RegExp ? (p: string) => (options.immutable as RegExp).test(p) : (options.immutable ?? defaultImmutable);
  const compressor = options.compress === false ? undefined : new Compressor(options.compress === true ? {} : options.compress);
  // The root's real path, resolved once (the root itself may be a link, e.g. a `current` release).
  let realRoot: Promise<string> | undefined;
  /** The file's real path and stats when it is a regular file under the real root, else undefined. */
  const resolveFile = async (file: string): Promise<{ real: string; stats: Stats } | undefined> => {
    realRoot ??= realpath(root).catch(() => root);
    const [base, real] = await Promise.all([realRoot, realpath(file).catch(() => undefined)]);
    if (!real || (real !== base && !real.startsWith(base + path.sep))) return undefined;
    const stats = await stat(real).catch(() => undefined);
    return stats?.isFile() ? { real, stats } : undefined;
  };
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
    let found = await resolveFile(file);
    let urlPath = relative;
    if (!found) {
      if (!fallback || path.posix.extname(relative)) return next();
      file = path.join(root, 'index.html');
      urlPath = '/index.html';
      found = await resolveFile(file);
      if (!found) return next();
    }
    const { real, stats } = found;
    // The type comes from the requested name, the bytes from the real path (the one checked).
    ctx.type = path.extname(file);
    const lastModified = stats.mtime.toUTCString();
    ctx.vary('Accept-Encoding');
    ctx.set('Last-Modified', lastModified);
    ctx.set('Cache-Control', isImmutable(urlPath) ? 'public, max-age=31536000, immutable' : 'no-cache');
    ctx.set('X-Content-Type-Options', 'nosniff');
    if (ctx.type.startsWith('text/html')) {
      ctx.set('Referrer-Policy', 'no-referrer');
      ctx.set('X-Frame-Options', 'DENY');
      if (options.contentSecurityPolicy) ctx.set('Content-Security-Policy', options.contentSecurityPolicy);
    }
    const tag = (size: number, mtimeMs: number, encoding?: Encoding) => `W/"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}${encoding ? `-${encoding}` : ''}"`;

    // A range is of the uncompressed bytes: a request with Range gets them.
    const accepted = ctx.get('Range') ? [] : acceptedEncodings(ctx.get('Accept-Encoding'));
    for (const encoding of accepted) {
      const variant = await resolveFile(file + SUFFIX[encoding]);
      // Older than its original: a leftover of an earlier build, whose bytes are not the file's.
      if (!variant || variant.stats.mtimeMs < stats.mtimeMs) continue;
      ctx.set('Content-Encoding', encoding);
      ctx.set('ETag', tag(variant.stats.size, variant.stats.mtimeMs, encoding));
      ctx.status = 200;
      if (ctx.fresh) return void (ctx.status = 304);
      ctx.length = variant.stats.size;
      if (ctx.method === 'GET') ctx.body = createReadStream(variant.real);
      return;
    }
    const encoding = compressor && stats.size >= compressor.threshold && isCompressible(ctx.type) ? accepted[0] : undefined;
    if (encoding) {
      ctx.set('Content-Encoding', encoding);
      ctx.set('ETag', tag(stats.size, stats.mtimeMs, encoding));
      ctx.status = 200;
      if (ctx.fresh) return void (ctx.status = 304);
      const compressed = await compressor!.compress(real, stats, encoding);
      if ('stream' in compressed) {
        if (ctx.method === 'GET') ctx.body = compressed.stream;
        else compressed.stream.destroy();
      } else {
        ctx.length = compressed.buffer.length;
        if (ctx.method === 'GET') ctx.body = compressed.buffer;
      }
      return;
    }

    ctx.set('ETag', tag(stats.size, stats.mtimeMs));
    ctx.set('Accept-Ranges', 'bytes');
    ctx.status = 200;
    if (ctx.fresh) return void (ctx.status = 304);
    const wanted = ctx.method === 'GET' && ifRangeHolds(ctx.get('If-Range') || undefined, lastModified) ? parseRange(ctx.get('Range') || undefined, stats.size) : { kind: 'full' as const };
    if (wanted.kind === 'unsatisfiable') {
      ctx.status = 416;
      ctx.set('Content-Range', `bytes */${stats.size}`);
      // Not a representation of the file: nothing a cache should keep or revalidate.
      for (const header of ['ETag', 'Last-Modified']) ctx.remove(header);
      ctx.set('Cache-Control', 'no-store');
      return;
    }
    if (wanted.kind === 'partial') {
      ctx.status = 206;
      ctx.set('Content-Range', `bytes ${wanted.start}-${wanted.end}/${stats.size}`);
      ctx.length = wanted.end - wanted.start + 1;
      ctx.body = createReadStream(real, { start: wanted.start, end: wanted.end });
      return;
    }
    ctx.length = stats.size;
    // HEAD: headers only (Koa sends no body; a stream would stay open).
    if (ctx.method === 'GET') ctx.body = createReadStream(real);
  };
}

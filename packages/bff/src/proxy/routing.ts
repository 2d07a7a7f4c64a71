/**
 * Which part of the BFF a request path belongs to: an endpoint under the BFF
 * prefix, an allowlisted API route, or another spelling of either (to be
 * refused), shared by the Koa middleware and the Node-level fast path so that
 * both route exactly alike.
 */
import { type BffError, InvalidRequest, NotFound } from '../errors.ts';

/** Where a path goes; `undefined`: not the BFF's (the application's own routes, static files). */
export type RouteMatch<T> =
  | { kind: 'bff' }
  | { kind: 'api'; route: T }
  /** A non-canonical spelling of a BFF path (`bff: true`) or an API path: refused, never passed on. */
  | { kind: 'noncanonical'; bff: boolean }
  | undefined;

/** Whether `path` is `prefix` or below it; `%` and `\` right after the prefix are kept so the route can refuse them with 400. */
export function matchesPrefix(path: string, prefix: string): boolean {
  return path.startsWith(prefix) && (path.length === prefix.length || '/%\\'.includes(path[prefix.length]!));
}

/** The router of one BFF: `bffPath` (e.g. `/bff`) and the API routes, each with its `path` prefix. */
export function createRouter<T extends { readonly path: string }>(bffPath: string, apis: readonly T[]): (path: string) => RouteMatch<T> {
  const underBff = (path: string): boolean => path === bffPath || path.startsWith(`${bffPath}/`);
  return (path) => {
    if (underBff(path)) return { kind: 'bff' };
    for (const route of apis) if (matchesPrefix(path, route.path)) return { kind: 'api', route };
    // The same paths in another spelling (`/%62ff/user`, `//bff/user`, `/x/../api`) are the BFF's to
    // refuse: they must never fall through to the application (an SPA's index.html, say).
    const canonical = canonicalPath(path);
    if (canonical === undefined || canonical === path) return undefined;
    if (underBff(canonical)) return { kind: 'noncanonical', bff: true };
    if (apis.some((r) => matchesPrefix(canonical, r.path))) return { kind: 'noncanonical', bff: false };
    return undefined;
  };
}

/** The answer to a non-canonical spelling: 404 for a BFF path, 400 for an API path. */
export function noncanonicalError(bff: boolean): BffError {
  return bff ? new NotFound('No BFF endpoint at this path: use its canonical spelling.') : new InvalidRequest('The path is not in canonical form (percent-encoded characters, "//" or dot segments).');
}

/**
 * `path` percent-decoded, with `//` runs collapsed and dot segments resolved, as a server or
 * proxy behind or in front of the BFF might read it; `undefined` when it cannot be decoded.
 */
export function canonicalPath(path: string): string | undefined {
  if (!/%|\/\/|\/\.{1,2}(\/|$)/.test(path)) return path;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  const out: string[] = [];
  for (const segment of decoded.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}${decoded.endsWith('/') && out.length ? '/' : ''}`;
}

/**
 * Koa's `ctx.path` and `ctx.search` of an origin-form request target, or `undefined` for any
 * other form (absolute-form, `#`, whitespace), which Koa parses through the legacy URL parser:
 * those are left to the Koa path.
 */
export function splitTarget(url: string | undefined): { path: string; search: string } | undefined {
  if (!url || url[0] !== '/' || /[#\s\u00a0\ufeff]/.test(url)) return undefined;
  const q = url.indexOf('?');
  if (q < 0) return { path: url, search: '' };
  return { path: url.slice(0, q), search: q === url.length - 1 ? '' : url.slice(q) };
}

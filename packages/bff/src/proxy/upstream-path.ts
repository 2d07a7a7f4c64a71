/**
 * Confines a proxied path to its route's target. The part after the route
 * prefix may not climb out (`..`), smuggle separators (`%2f`, `%5c`, `\`),
 * or hide dot segments behind encoding (`%2e`); such requests are refused,
 * not normalised, so what the API receives is exactly what was checked.
 */
import { InvalidRequest } from '../errors.ts';

const FORBIDDEN = /%2e|%2f|%5c|%00|\\/i;
/**
 * `//` (an empty inner segment; a trailing `/` is fine), or a `.` or `..` segment, also as `..;x`:
 * `..` to servers that strip path parameters per segment (Tomcat, Jetty).
 */
const EMPTY_OR_DOT_SEGMENT = /\/(?:\/|\.\.?(?:;[^/]*)?(?:\/|$))/;

/**
 * The path below the prefix (`''` or starting with `/`), or throws `InvalidRequest`.
 * @param path - the raw request path (not decoded)
 * @param prefix - the route prefix, e.g. `/api/todos`
 */
export function pathBelow(path: string, prefix: string): string {
  const rest = path.slice(prefix.length);
  if (rest && !rest.startsWith('/')) throw new InvalidRequest('The path does not belong to this API route.');
  if (FORBIDDEN.test(rest)) throw new InvalidRequest('The path contains encoded separators, encoded dots or backslashes.');
  if (EMPTY_OR_DOT_SEGMENT.test(rest)) throw new InvalidRequest('The path contains "." or ".." segments (path parameters included) or "//".');
  return rest;
}

/**
 * The URL the API receives for `rest` below a route, as http-proxy joins them (`//` collapsed),
 * from the route's target as the proxy engine parsed it once (no URL parse per call).
 */
export function upstreamUrl(target: { protocol: string; host: string; path: string }, rest: string): string {
  return `${target.protocol}//${target.host}${`${target.path}${rest}`.replace(/\/+/g, '/')}`;
}

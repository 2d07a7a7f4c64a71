/**
 * Response headers of an upstream API that never reach the browser. The API
 * answers on the BFF's origin: a header that acts on the whole origin would
 * let an internal API (or whoever controls one) change how the browser
 * treats the BFF itself. `Clear-Site-Data: "cookies"` would wipe the session
 * cookie; HSTS, `Alt-Svc`, pins, NEL and reporting set origin-wide policy;
 * CORS headers would open the BFF's origin to other sites; a
 * `Service-Worker-Allowed` widens what a service worker may control.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Removed from every proxied response unless a route's `responseHeaders.keep` names them. */
export const DENIED_RESPONSE_HEADERS: readonly string[] = [
  'set-cookie',
  'set-cookie2',
  'clear-site-data',
  'strict-transport-security',
  'alt-svc',
  'public-key-pins',
  'public-key-pins-report-only',
  'expect-ct',
  'nel',
  'report-to',
  'reporting-endpoints',
  'accept-ch',
  'critical-ch',
  'origin-agent-cluster',
  'service-worker-allowed',
  'x-dns-prefetch-control',
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-expose-headers',
  'access-control-max-age',
  'access-control-allow-private-network',
];

/** Schemes whose `WWW-Authenticate` challenge makes a browser prompt for a password on the BFF's origin. */
const PROMPTING_SCHEMES = /^\s*(basic|digest|negotiate|ntlm)\b/i;

/** The names to remove for a route: the default list plus `remove`, minus `keep` (never the cookie headers). */
export function deniedHeaders(config: { remove: readonly string[]; keep: readonly string[] }): ReadonlySet<string> {
  const keep = new Set(config.keep.map((h) => h.toLowerCase()));
  keep.delete('set-cookie');
  keep.delete('set-cookie2');
  return new Set([...DENIED_RESPONSE_HEADERS.filter((h) => !keep.has(h)), ...config.remove.map((h) => h.toLowerCase())]);
}

/** Removes the denied headers from an upstream response, in place. */
export function filterResponseHeaders(headers: IncomingHttpHeaders, denied: ReadonlySet<string>): void {
  for (const name of Object.keys(headers)) if (denied.has(name)) delete headers[name];
  // Bearer/DPoP challenges tell the SPA why (insufficient_scope); password prompts must not appear on the BFF's origin.
  const challenge = headers['www-authenticate'];
  if (challenge !== undefined && [challenge].flat().some((c) => PROMPTING_SCHEMES.test(c))) delete headers['www-authenticate'];
}

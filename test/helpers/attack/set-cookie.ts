/**
 * Set-Cookie headers of one cookie, from a fetch Response or from a node:http
 * answer (raw requests and WebSocket handshakes), so the attacks can check
 * that a refused request set or cleared no session cookie.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { setCookiesFor } from '../bff-harness.ts';

/** The Set-Cookie values of `response` for cookie `name`. */
export function setCookiesNamed(response: Response | { headers: IncomingHttpHeaders }, name: string): string[] {
  if (response instanceof Response) return setCookiesFor(response, name);
  return ([] as string[]).concat(response.headers['set-cookie'] ?? []).filter((c) => c.startsWith(`${name}=`));
}

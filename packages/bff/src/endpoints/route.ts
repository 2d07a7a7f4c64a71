/**
 * How an endpoint declares itself (oidc-provider style): its method, its path
 * under the BFF prefix and its whole middleware stack, CSRF check and rate
 * limit included. `bff.ts` only mounts what the endpoint files export, and
 * the 405 answers are derived from these declarations.
 */
import type Koa from 'koa';
import type { Bff } from '../context.ts';

/** What a route's stack may use besides the BFF itself. */
export interface RouteDeps {
  bff: Bff;
  /** The `X-CSRF: 1` + same-origin check. */
  csrf: Koa.Middleware;
  /** The login/callback rate limit for `name` (empty when rate limiting is off). */
  limit(name: string): Koa.Middleware[];
}

/** One BFF endpoint. */
export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path below the BFF prefix, e.g. `/login` or `/sessions/:id`. */
  path: string;
  /** Whether it is served with these options (e.g. diagnostics only when enabled). Default: always. */
  enabled?(options: Bff['options']): boolean;
  stack(deps: RouteDeps): Koa.Middleware[];
}

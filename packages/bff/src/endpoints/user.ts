/**
 * `GET /bff/user` (needs `X-CSRF: 1`): who is signed in. Claims, the session
 * end and a session-bound logout URL; never a token.
 */
import type Koa from 'koa';
import type { Bff } from '../context.ts';
import { Unauthenticated } from '../errors.ts';
import { sessionDeadline } from '../session/lifetime.ts';
import { idleDeadline } from '../session/record.ts';
import { authOf, sessionOf } from '../session/session-middleware.ts';
import type { Route } from './route.ts';

/** The JSON body of `GET /bff/user`. */
export interface UserInfoResponse {
  sub: string;
  claims: Record<string, unknown>;
  /** Unix seconds at which the session ends unless renewed by activity. */
  expiresAt: number;
  logoutUrl: string;
  /** Authentication context class of the login (`acr`), when the provider said. */
  acr?: string;
  /** When the user authenticated, unix seconds (`auth_time`), when the provider said. */
  authTime?: number;
}

/** Unix seconds at which the session ends: the earlier of its idle and absolute deadlines. */
export function sessionExpiresAt(bff: Bff, ctx: Koa.Context): number {
  const auth = authOf(ctx)!;
  const { idleTimeout, absoluteTimeout } = bff.options.session;
  const idleEnd = idleDeadline(sessionOf(ctx)) ?? Date.now() + idleTimeout * 1000;
  return Math.floor(Math.min(idleEnd, sessionDeadline(auth, absoluteTimeout)) / 1000);
}

/** The user endpoint. */
export function userEndpoint(bff: Bff): Koa.Middleware {
  return async function user(ctx) {
    const auth = authOf(ctx);
    if (!auth) throw new Unauthenticated();
    const body: UserInfoResponse = {
      sub: auth.sub,
      claims: auth.claims,
      expiresAt: sessionExpiresAt(bff, ctx),
      logoutUrl: `${bff.options.path}/logout?sid=${encodeURIComponent(auth.logoutId)}`,
      ...(auth.acr ? { acr: auth.acr } : {}),
      ...(auth.authTime ? { authTime: auth.authTime } : {}),
    };
    ctx.body = body;
  };
}

/** `GET /bff/user`, behind the CSRF check. */
export const userRoute: Route = { method: 'GET', path: '/user', stack: ({ bff, csrf }) => [csrf, userEndpoint(bff)] };

/**
 * `bff.requireSession()`: protects routes the application serves itself next
 * to the BFF (`app.use(router.get('/api/me', bff.requireSession(), handler))`)
 * with the same rules as proxied calls: the CSRF header check, the session
 * lookup, a 401 JSON answer without a session, then `ctx.state.user` and
 * `ctx.state.accessToken()` (refreshed like the proxy's) for the handler.
 */
import type Koa from 'koa';
import compose from 'koa-compose';
import type { Bff } from './context.ts';
import { CsrfRequired, SessionExpired, Unauthenticated } from './errors.ts';
import { isSameOriginRequest } from './middleware/csrf-header.ts';
import { authOf, commitSession, endSession, sessionOf } from './session/session-middleware.ts';

/** Options of {@link BffMiddleware.requireSession}. */
export interface RequireSessionOptions {
  /** Require `X-CSRF: 1` from the same origin. Default `true`; turn off only for safe (GET) routes that return nothing private. */
  csrf?: boolean;
}

/** What `requireSession` puts on `ctx.state`. */
export interface SessionState {
  user: { sub: string; claims: Record<string, unknown> };
  /** The user's access token, refreshed first when due; 401 `session_expired` ends the session. */
  accessToken(): Promise<string>;
}

/** Builds the middleware from the BFF's error handler and proxy session reader. */
export function createRequireSession(bff: Bff, handleErrors: Koa.Middleware, readSession: Koa.Middleware): (options?: RequireSessionOptions) => Koa.Middleware {
  return (options = {}) => {
    const csrf = options.csrf ?? true;
    const check: Koa.Middleware = async (ctx, next) => {
      if (csrf && !isSameOriginRequest(ctx, bff.options.origin)) throw new CsrfRequired();
      const auth = authOf(ctx);
      if (!auth) throw new Unauthenticated();
      const state: SessionState = {
        user: { sub: auth.sub, claims: auth.claims },
        accessToken: async () => {
          try {
            return await bff.tokens.userAccessToken({ id: sessionOf(ctx).externalKey, auth });
          } catch (err) {
            if (err instanceof SessionExpired) await endSession(ctx, bff.repository, bff.options);
            throw err;
          }
        },
      };
      Object.assign(ctx.state, state);
      // Extend the idle timeout now: the handler may stream its answer, after which no cookie can be set.
      await commitSession(ctx);
      await next();
    };
    return compose([handleErrors, readSession, check]);
  };
}

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
import { CsrfRequired, Unauthenticated } from './errors.ts';
import { isSameOriginRequest } from './middleware/csrf-header.ts';
import { authorizationOf } from './protocol/access-credential.ts';
import { userCredential, type TokenSession } from './proxy/upstream-credential.ts';
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
  /**
   * The headers that present the user's token to the API at `url` for a `method` request:
   * `Authorization: Bearer …`, or for a DPoP-bound token (option `dpop`) `Authorization: DPoP …`
   * with a `DPoP` proof for exactly this request. Refreshed like {@link SessionState.accessToken}.
   */
  authorizationHeaders(method: string, url: string): Promise<Record<string, string>>;
}

/** Builds the middleware from the BFF's error handler and proxy session reader. */
export function createRequireSession(bff: Bff, handleErrors: Koa.Middleware, readSession: Koa.Middleware): (options?: RequireSessionOptions) => Koa.Middleware {
  return (options = {}) => {
    const csrf = options.csrf ?? true;
    const check: Koa.Middleware = async (ctx, next) => {
      if (csrf && !isSameOriginRequest(ctx, bff.options.origin)) throw new CsrfRequired();
      const auth = authOf(ctx);
      if (!auth) throw new Unauthenticated();
      // The proxy's own token choice: refreshed when due, a refused refresh token ends the session.
      const session: TokenSession = { id: sessionOf(ctx).externalKey, auth, end: () => endSession(ctx, bff.repository, bff.options) };
      const state: SessionState = {
        user: { sub: auth.sub, claims: auth.claims },
        accessToken: async () => (await userCredential(bff, session)).token,
        authorizationHeaders: async (method, url) => ({ ...authorizationOf(await userCredential(bff, session), { method: method.toUpperCase(), url }) }),
      };
      Object.assign(ctx.state, state);
      // Extend the idle timeout now: the handler may stream its answer, after which no cookie can be set.
      await commitSession(ctx);
      await next();
    };
    return compose([handleErrors, readSession, check]);
  };
}

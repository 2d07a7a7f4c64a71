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
import { createDpopProof } from './protocol/dpop-proof.ts';
import { authOf, commitSession, endSession, sessionOf } from './session/session-middleware.ts';
import type { TokenSet } from './session/user-session.ts';

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
      const tokens = async (): Promise<TokenSet> => {
        try {
          return await bff.tokens.userTokens({ id: sessionOf(ctx).externalKey, auth });
        } catch (err) {
          if (err instanceof SessionExpired) await endSession(ctx, bff.repository, bff.options);
          throw err;
        }
      };
      const state: SessionState = {
        user: { sub: auth.sub, claims: auth.claims },
        accessToken: async () => (await tokens()).accessToken,
        authorizationHeaders: async (method, url): Promise<Record<string, string>> => {
          const { accessToken, tokenType, dpopKey } = await tokens();
          if (tokenType !== 'DPoP' || !dpopKey) return { authorization: `Bearer ${accessToken}` };
          return { authorization: `DPoP ${accessToken}`, dpop: createDpopProof(dpopKey, { htm: method.toUpperCase(), htu: url, accessToken }) };
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

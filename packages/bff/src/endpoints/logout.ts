/**
 * `GET /bff/logout?sid=<id>[&returnTo=<path>]`: ends the session. The `sid`
 * must be the session-bound value from `/bff/user`, so a cross-site link
 * cannot log a user out. The browser then goes to the provider's
 * end-session endpoint with `client_id`, `post_logout_redirect_uri`, a fresh
 * `state` (stored server-side, bound to the browser by a cookie) and
 * `logout_hint`, but no `id_token_hint` unless configured or required by the
 * provider profile (`logout.idTokenHint: 'auto'`): a token in a URL lands in
 * the address bar, the history and the provider's logs. Cognito gets its own
 * `/logout?client_id&logout_uri`; a provider without end-session (Google)
 * gets none, and the response says so: `Portcullis-Logout: local` (else
 * `provider`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import type { Bff } from '../context.ts';
import { InvalidRequest } from '../errors.ts';
import { notify } from '../events.ts';
import { summarize, preferHtmlErrors } from '../middleware/error-handler.ts';
import { singleQuery } from '../query.ts';
import { issueLogoutState } from '../protocol/logout-state.ts';
import { checkReturnTo } from '../return-to.ts';
import { authOf, endSession } from '../session/session-middleware.ts';
import type { Route } from './route.ts';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
/** Constant-time equality of any two strings: digests have one length whatever the input (multi-byte included). */
const same = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b));

/** Response header saying whether logout also ended the session at the provider (`provider`) or here only (`local`). */
export const LOGOUT_HEADER = 'Portcullis-Logout';

/** The logout endpoint. */
export function logoutEndpoint(bff: Bff): Koa.Middleware {
  const { options, provider, logger } = bff;
  return async function logout(ctx) {
    preferHtmlErrors(ctx);
    const returnTo = checkReturnTo(singleQuery(ctx, 'returnTo'), options.origin);
    const auth = authOf(ctx);
    if (!auth) {
      ctx.redirect(`${options.origin}${returnTo}`);
      return;
    }
    const sid = singleQuery(ctx, 'sid');
    if (!sid || !same(sid, auth.logoutId)) throw new InvalidRequest('The "sid" parameter is missing or does not match this session: use the logoutUrl from /bff/user.');

    await endSession(ctx, bff.repository, options);
    logger.info({ sub: auth.sub }, 'logout');
    notify(() => options.events.logout?.({ kind: 'rp', sessions: 1 }));
    await options.hooks.onLogout?.({ sub: auth.sub, kind: 'rp' });
    if (options.logout.revokeTokens && auth.tokens.refreshToken) {
      // Best effort: a provider that cannot revoke must not keep the user signed in here.
      await provider.revoke(auth.tokens.refreshToken).catch((err: unknown) => logger.warn({ err: summarize(err) }, 'refresh token revocation failed'));
    }
    const { profile } = options;
    const logoutHint = !profile.logout.logoutHint ? undefined : typeof auth.claims['login_hint'] === 'string' ? auth.claims['login_hint'] : auth.sid;
    const endSessionUrl =
      profile.logout.style === 'none'
        ? undefined
        : await issueLogoutState(ctx, { store: bff.store, sessionCookie: options.session.cookie, secure: options.session.secure }, returnTo)
            .then((state) =>
              provider.endSessionUrl({
                postLogoutRedirectUri: `${options.origin}${returnTo}`,
                state,
                ...(logoutHint ? { logoutHint } : {}),
                ...(options.logout.idTokenHint ? { idTokenHint: auth.tokens.idToken } : {}),
              }),
            )
            .catch((err: unknown) => {
              // The local session is gone either way; without discovery, go straight back.
              logger.warn({ err: summarize(err) }, 'end-session URL unavailable');
              return undefined;
            });
    if (!endSessionUrl) logger.info({ provider: options.provider }, 'logout ended the session here only: the provider has no end-session endpoint (the user stays signed in there)');
    ctx.set(LOGOUT_HEADER, endSessionUrl ? 'provider' : 'local');
    ctx.redirect(endSessionUrl ?? `${options.origin}${returnTo}`);
  };
}

/** `GET /bff/logout`: a navigation, so no CSRF header; the session-bound `sid` is the check. */
export const logoutRoute: Route = { method: 'GET', path: '/logout', stack: ({ bff }) => [logoutEndpoint(bff)] };

/**
 * `GET /bff/frontchannel-logout?iss=<issuer>&sid=<provider session id>`
 * (OpenID Connect Front-Channel Logout 1.0): the provider's logout page
 * loads this URL in a hidden iframe, and every session of that provider
 * session ends here. The session cookie is not needed (third-party iframes
 * often do not get it): sessions are found through the store's sid index,
 * and each one's own `sid` is checked again.
 *
 * Answers, always a tiny HTML page with `Cache-Control: no-store` and
 * `Content-Security-Policy: frame-ancestors <issuer origin>`:
 * - 200 when the request is well formed: the sessions of that `sid` ended,
 *   or there were none (already ended, or never here), which is not an
 *   error for the provider's page;
 * - 400 when `iss` or `sid` is missing, repeated or malformed, or `iss` is
 *   not the configured issuer (§2: with `frontchannel_logout_session_required`,
 *   which the client must be registered with, the provider sends both, and
 *   the RP MUST check `iss`; without a sid the BFF could only end sessions
 *   by guessing). Nothing ends.
 *
 * A GET that ends sessions without the session cookie: whoever knows a
 * provider `sid` can end those sessions (the spec's design). The BFF never
 * shows the `sid` to the SPA (see `HIDDEN_CLAIMS`).
 */
import type Koa from 'koa';
import type { Bff } from '../context.ts';
import type { Route } from './route.ts';
import { notify } from '../events.ts';
import { endProviderSessions, tellEnded } from '../session/end-provider-sessions.ts';

/** A provider session id as the BFF accepts it: printable ASCII, bounded. */
const SID = /^[\x21-\x7e]{1,255}$/;

/** The front-channel logout endpoint. */
export function frontchannelLogoutEndpoint(bff: Bff): Koa.Middleware {
  const { options, store, logger } = bff;
  const frameAncestors = new URL(options.issuer).origin;
  return async function frontchannelLogout(ctx) {
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Pragma', 'no-cache');
    ctx.set('Content-Security-Policy', `default-src 'none'; frame-ancestors ${frameAncestors}`);
    ctx.type = 'html';
    const iss = ctx.query['iss'];
    const sid = ctx.query['sid'];
    if (typeof iss !== 'string' || typeof sid !== 'string' || !SID.test(sid) || iss !== options.issuer) {
      logger.info({ iss: typeof iss === 'string' ? iss.slice(0, 200) : null, sidPresent: typeof sid === 'string' }, 'front-channel logout refused: iss must be the issuer and sid present');
      ctx.status = 400;
      ctx.body = page('Logout request refused.');
      return;
    }
    if (!store.findIds) {
      logger.error({}, 'front-channel logout needs a session store that can look sessions up by sid (findIds)');
      ctx.status = 200;
      ctx.body = page('Signed out.');
      return;
    }
    const ended = await endProviderSessions(store, bff.repository, { sid });
    if (ended.length) notify(() => options.events.logout?.({ kind: 'frontchannel', sessions: ended.length }));
    await tellEnded(options.hooks, ended, 'frontchannel');
    logger.info({ sessions: ended.length }, 'front-channel logout');
    ctx.status = 200;
    ctx.body = page('Signed out.');
  };
}

const page = (text: string): string => `<!doctype html><html><head><meta charset="utf-8"><title>${text}</title></head><body>${text}</body></html>`;

/** `GET /bff/frontchannel-logout` (with `logout.frontchannel`): from the provider's logout page, in an iframe; no cookie, no CSRF header. */
export const frontchannelLogoutRoute: Route = { method: 'GET', path: '/frontchannel-logout', enabled: (options) => options.logout.frontchannel, stack: ({ bff }) => [frontchannelLogoutEndpoint(bff)] };

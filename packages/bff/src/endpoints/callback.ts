/**
 * `GET /bff/callback`: finishes the login. In order, before any session is
 * touched: the state must be known and bound to this browser, the provider
 * must not have answered with an error, `iss` (RFC 9207) must match, the
 * code exchange must succeed and the ID token must verify (and, with the
 * `userinfo` option, the userinfo claims be about the same `sub`, merged in). Only then is a
 * session created, under a new id (no fixation), and the browser sent to the
 * returnTo stored with the state. States are single use: a replayed callback
 * finds nothing.
 */
import { randomBytes } from 'node:crypto';
import type Koa from 'koa';
import { ErrorResponse } from 'oidc-client-ts';
import type { Bff } from '../context.ts';
import { AuthorizationError, BffError, InvalidRequest, InvalidState } from '../errors.ts';
import { notify } from '../events.ts';
import { preferHtmlErrors } from '../middleware/error-handler.ts';
import { credentialOf } from '../protocol/access-credential.ts';
import { checkAccess } from '../protocol/access-policy.ts';
import { shownClaims } from '../protocol/user-claims.ts';
import { singleQuery } from '../query.ts';
import { sessionOf } from '../session/session-middleware.ts';
import type { UserSession } from '../session/user-session.ts';
import { bindingCookieName, bindingHash } from '../protocol/login-binding.ts';
import type { Route } from './route.ts';

/** The callback endpoint. */
export function callbackEndpoint(bff: Bff): Koa.Middleware {
  const { options, provider, logger } = bff;
  const bindingCookie = bindingCookieName(options.session.cookie);
  let warnedNoRefreshToken = false;
  return async function callback(ctx) {
    preferHtmlErrors(ctx);
    try {
      await finishLogin(ctx);
      notify(() => options.events.login?.({ outcome: 'ok' }));
    } catch (err) {
      notify(() => options.events.login?.({ outcome: 'failed', reason: err instanceof BffError ? err.code : 'server_error' }));
      throw err;
    }
  };

  async function finishLogin(ctx: Koa.Context): Promise<void> {
    for (const name of ['state', 'code', 'iss', 'error']) singleQuery(ctx, name);
    // Rebuild the URL from the registered redirect URI: never trust the Host header.
    const callbackUrl = `${options.redirectUri}?${ctx.querystring}`;
    if (!ctx.query['state']) throw new InvalidState('The callback has no state: start the login again.');
    const stored = await provider.peekState(callbackUrl);
    if (!stored) throw new InvalidState();
    const binding = ctx.cookies.get(bindingCookie);
    if (!binding || bindingHash(binding) !== stored.data.binding) throw new InvalidState('This login was started in another browser or its cookie expired: start the login again.');
    await checkIssuer(bff, ctx);
    if (!ctx.query['error'] && !ctx.query['code']) throw new InvalidRequest('The callback has neither a code nor an error.');

    let tokens;
    try {
      tokens = await provider.exchangeCode(callbackUrl, stored.nonce);
    } catch (err) {
      if (err instanceof ErrorResponse) {
        const code = err.error ?? 'access_denied';
        if (SILENT_LOGIN_ERRORS.has(code)) {
          // A silent login (prompt=none) found no usable provider session: back to the app, which decides.
          logger.info({ code }, 'silent login not possible');
          ctx.redirect(withError(options.origin, stored.data.returnTo, code));
          return;
        }
        if (CLIENT_ERRORS.has(code))
          logger.error({ code }, "the provider refused the BFF's client credentials: check clientId, clientSecret (PORTCULLIS_CLIENT_SECRET) or clientPrivateKey, and clientAuthentication");
        else logger.info({ code }, 'login refused by the provider');
        throw new AuthorizationError(/^[a-z_]{1,64}$/.test(code) ? code : 'access_denied', describeProviderError(err));
      }
      if (err instanceof Error && /No matching state/.test(err.message)) throw new InvalidState();
      throw err;
    }
    if (options.userinfo) {
      // Thin ID tokens (Keycloak, Entra ID): the rest of the user's claims. The ID token's verified claims win a conflict.
      const extra = await provider.userinfo(credentialOf(tokens), tokens.claims.sub);
      if (extra) tokens = { ...tokens, claims: { ...extra, ...tokens.claims } };
    }
    await checkAccess(
      {
        claims: tokens.claims,
        tokens: {
          accessToken: tokens.accessToken,
          idToken: tokens.idToken!,
          expiresAt: tokens.expiresAt,
          ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
          ...(tokens.scope ? { scope: tokens.scope } : {}),
        },
      },
      options.access,
      options.hooks,
    );
    if (!tokens.refreshToken && !warnedNoRefreshToken) {
      warnedNoRefreshToken = true;
      logger.warn(
        { scope: options.scope, provider: options.provider },
        'the provider issued no refresh token: sessions will last only as long as one access token. Ask for offline_access in "scope" (or what your provider needs, via "authorizationParams") and allow the refresh_token grant for this client at the provider',
      );
    }

    const session = sessionOf(ctx);
    const auth: UserSession = {
      sub: tokens.claims.sub,
      ...(typeof tokens.claims['sid'] === 'string' ? { sid: tokens.claims['sid'] } : {}),
      claims: shownClaims(tokens.claims, options.user.claims),
      logoutId: randomBytes(16).toString('base64url'),
      createdAt: Date.now(),
      ...(typeof tokens.claims['acr'] === 'string' ? { acr: tokens.claims['acr'] } : {}),
      ...(typeof tokens.claims['auth_time'] === 'number' ? { authTime: tokens.claims['auth_time'] } : {}),
      ...(ctx.get('user-agent') ? { userAgent: ctx.get('user-agent').slice(0, 256) } : {}),
      tokens: {
        accessToken: tokens.accessToken,
        ...(tokens.tokenType === 'DPoP' ? { tokenType: 'DPoP' as const } : {}),
        ...(tokens.dpopKey ? { dpopKey: tokens.dpopKey } : {}),
        idToken: tokens.idToken!,
        expiresAt: tokens.expiresAt,
        issuedAt: Math.floor(Date.now() / 1000),
        ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
        ...(tokens.scope ? { scope: tokens.scope } : {}),
        ...(tokens.refreshExpiresAt ? { refreshExpiresAt: tokens.refreshExpiresAt } : {}),
      },
    };
    session.auth = auth;
    if (!session.isNew) {
      // A new id at login (no fixation): regenerate destroys the old record and creates the new one
      // with this data. Without the old version: the record is created, not updated.
      delete (session as { v?: string }).v;
      await session.regenerate();
    }
    // The binding cookie stays until it expires: another tab's login may still need it (its state is single use anyway).
    logger.info({ sub: auth.sub }, 'login');
    ctx.redirect(`${options.origin}${stored.data.returnTo}`);
  }
}

/** Provider answers to `prompt=none` that send the browser back to the app with `error=` (OIDC Core §3.1.2.6). */
const SILENT_LOGIN_ERRORS = new Set(['login_required', 'consent_required', 'interaction_required', 'account_selection_required']);
/** Token endpoint answers that mean the BFF's own client configuration is wrong. */
const CLIENT_ERRORS = new Set(['invalid_client', 'unauthorized_client']);

/** `returnTo` (a checked same-origin path) with `error=<code>` added to its query. */
function withError(origin: string, returnTo: string, code: string): string {
  const url = new URL(returnTo, origin);
  url.searchParams.set('error', code);
  return `${origin}${url.pathname}${url.search}${url.hash}`;
}

/**
 * RFC 9207: `iss` must equal the issuer when present, and be present when the provider says it
 * sends it (or always, under FAPI 2.0).
 */
async function checkIssuer(bff: Bff, ctx: Koa.Context): Promise<void> {
  const iss = ctx.query['iss'];
  const metadata = await bff.provider.metadata();
  if (iss === undefined) {
    if (bff.options.requireIss || metadata.authorization_response_iss_parameter_supported === true)
      throw new InvalidRequest('The authorization response lacks the "iss" parameter the provider promises (RFC 9207).');
    return;
  }
  if (iss !== bff.options.issuer) throw new InvalidRequest('The authorization response comes from another issuer (RFC 9207 "iss" mismatch).');
}

function describeProviderError(err: ErrorResponse): string {
  const description = (err.error_description ?? '').replace(/[^\x20-\x7e]/g, '').slice(0, 200);
  return description ? `The identity provider refused the login: ${description}` : 'The identity provider refused the login.';
}

/** `GET /bff/callback`, rate limited. */
export const callbackRoute: Route = { method: 'GET', path: '/callback', stack: ({ bff, limit }) => [...limit('callback'), callbackEndpoint(bff)] };

/**
 * `GET /bff/login?returnTo=<path>[&prompt=…&max_age=…&acr_values=…&login_hint=…&ui_locales=…]`:
 * starts the authorization-code flow with PKCE. The state (code_verifier,
 * nonce, returnTo) stays server-side; the browser gets a short-lived binding
 * cookie so that only the browser that started a login can finish it (no
 * login CSRF with a forwarded callback). The allowed login parameters are
 * forwarded as given (`login.allowedParams`); anything else is a 400.
 */
import { randomBytes } from 'node:crypto';
import type Koa from 'koa';
import { ErrorResponse } from 'oidc-client-ts';
import type { Bff } from '../context.ts';
import { BadGateway } from '../errors.ts';
import { preferHtmlErrors } from '../middleware/error-handler.ts';
import { BINDING, bindingCookieName, bindingHash } from '../protocol/login-binding.ts';
import { loginParams } from '../protocol/login-params.ts';
import { LOGIN_STATE_TTL_MS } from '../protocol/state-store.ts';
import { singleQuery } from '../query.ts';
import { checkReturnTo } from '../return-to.ts';
import type { Route } from './route.ts';

/** The login endpoint. */
export function loginEndpoint(bff: Bff): Koa.Middleware {
  const { options, provider } = bff;
  const cookie = bindingCookieName(options.session.cookie);
  return async function login(ctx) {
    preferHtmlErrors(ctx);
    const returnTo = checkReturnTo(singleQuery(ctx, 'returnTo'), options.origin);
    const params = loginParams(ctx.query, options.login.allowedParams);
    // Reuse a live binding so that logins started in two tabs can both finish.
    const existing = ctx.cookies.get(cookie);
    const binding = existing && BINDING.test(existing) ? existing : randomBytes(32).toString('base64url');
    const nonce = randomBytes(32).toString('base64url');
    const url = await pushed(() => provider.authorizationUrl({ returnTo, binding: bindingHash(binding) }, nonce, params));
    // Lax, not Strict: the callback arrives as a cross-site navigation from the provider.
    ctx.cookies.set(cookie, binding, { httpOnly: true, secure: options.session.secure, sameSite: 'lax', path: '/', maxAge: LOGIN_STATE_TTL_MS, overwrite: true });
    ctx.redirect(url);
  };

  /** A pushed authorization request the provider refused: the BFF's configuration, said in the log; 502 to the browser. */
  async function pushed(start: () => Promise<string>): Promise<string> {
    try {
      return await start();
    } catch (err) {
      if (!(err instanceof ErrorResponse)) throw err;
      const code = err.error ?? 'error';
      bff.logger.error(
        { code },
        /client/.test(code)
          ? "the provider refused the pushed authorization request's client authentication: check clientId, clientAuthentication and clientPrivateKey (or clientSecret), and the key registered at the provider"
          : 'the provider refused the pushed authorization request',
      );
      throw new BadGateway('The identity provider refused the login request.', { cause: err });
    }
  }
}

/** `GET /bff/login`, rate limited. */
export const loginRoute: Route = { method: 'GET', path: '/login', stack: ({ bff, limit }) => [...limit('login'), loginEndpoint(bff)] };

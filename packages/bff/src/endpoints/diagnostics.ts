/**
 * `GET /bff/diagnostics` (development only, needs `X-CSRF: 1`): what the
 * session holds and when things expire, to debug a setup. Token values are
 * never shown: only whether each token is present and when it expires.
 */
import type Koa from 'koa';
import type { Bff } from '../context.ts';
import { jwkThumbprint } from '../protocol/jwk-thumbprint.ts';
import { sessionDeadline } from '../session/lifetime.ts';
import { idleDeadline } from '../session/record.ts';
import { authOf, sessionOf } from '../session/session-middleware.ts';
import type { Route } from './route.ts';

/** The diagnostics endpoint. */
export function diagnosticsEndpoint(bff: Bff): Koa.Middleware {
  const { options } = bff;
  return async function diagnostics(ctx) {
    const auth = authOf(ctx);
    const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
    ctx.body = {
      issuer: options.issuer,
      clientId: options.clientId,
      baseUrl: options.origin,
      cookie: { name: options.session.cookie, secure: options.session.secure, sameSite: options.session.sameSite },
      store: bff.store.constructor.name,
      apis: options.apis.map(({ path, target, token, ws }) => ({ path, target, token, ws })),
      session: auth
        ? {
            sub: auth.sub,
            providerSessionId: auth.sid ?? null,
            createdAt: iso(auth.createdAt),
            idleExpiresAt: iso(idleDeadline(sessionOf(ctx))),
            absoluteExpiresAt: iso(sessionDeadline(auth, options.session.absoluteTimeout)),
            // The key's thumbprint says which key the token is bound to; the key itself never leaves the store.
            accessToken: {
              present: true,
              type: auth.tokens.tokenType ?? 'Bearer',
              ...(auth.tokens.dpopKey ? { dpopJkt: jwkThumbprint(auth.tokens.dpopKey) } : {}),
              expiresAt: iso(auth.tokens.expiresAt * 1000),
              expiresInSeconds: auth.tokens.expiresAt - Math.floor(Date.now() / 1000),
            },
            refreshToken: {
              present: Boolean(auth.tokens.refreshToken),
              expiresAt: iso(auth.tokens.refreshExpiresAt && auth.tokens.refreshExpiresAt * 1000),
              ...(auth.tokens.refreshToken
                ? {}
                : {
                    hint: 'No refresh token: this session ends when its access token does. Ask for offline_access in "scope" (or what the provider profile needs) and allow the refresh_token grant for this client at the provider.',
                  }),
            },
            idToken: { present: Boolean(auth.tokens.idToken) },
            scope: auth.tokens.scope ?? null,
          }
        : null,
    };
  };
}

/** `GET /bff/diagnostics`, only when enabled, behind the CSRF check. */
export const diagnosticsRoute: Route = { method: 'GET', path: '/diagnostics', enabled: (options) => options.diagnostics, stack: ({ bff, csrf }) => [csrf, diagnosticsEndpoint(bff)] };

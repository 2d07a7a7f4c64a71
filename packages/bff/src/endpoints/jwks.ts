/**
 * `GET /bff/jwks` (opt-in, option `jwks`): the public key of the client's
 * `private_key_jwt` key as a JWK Set, for a provider that fetches the
 * client's keys from a `jwks_uri` instead of a registered copy. Public
 * members only (`createPublicKey` of the configured key, read at start-up).
 */
import type Koa from 'koa';
import type { Bff } from '../context.ts';
import type { Route } from './route.ts';

/** The JWKS endpoint. */
export function jwksEndpoint(bff: Bff): Koa.Middleware {
  const body = JSON.stringify({ keys: bff.options.clientKey ? [bff.options.clientKey.publicJwk] : [] });
  return async function jwks(ctx) {
    ctx.type = 'application/jwk-set+json';
    ctx.body = body;
  };
}

/** `GET /bff/jwks`, only with the `jwks` option (and a client key, checked at start-up). */
export const jwksRoute: Route = { method: 'GET', path: '/jwks', enabled: (options) => options.jwks, stack: ({ bff }) => [jwksEndpoint(bff)] };

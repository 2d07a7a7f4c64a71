/**
 * What a proxied request carries to its API: the route's token (the user's,
 * the BFF's own, or none) as `Authorization: Bearer`, or, for a token the
 * provider bound to a DPoP key, `Authorization: DPoP` with a proof of
 * possession signed for this very request (RFC 9449 §7.1: method, upstream
 * URL, token hash, and the API's nonce when it sent one).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type Koa from 'koa';
import type { Bff } from '../context.ts';
import { SessionExpired, Unauthenticated } from '../errors.ts';
import { LATER, type Later } from '../later.ts';
import type { ResolvedOptions } from '../options.ts';
import { authorizationOf, credentialOf, type AccessCredential } from '../protocol/access-credential.ts';
import type { DpopNonces } from '../protocol/dpop-nonces.ts';
import type { ClientToken } from '../protocol/provider-client.ts';
import { authOf, endSession, sessionOf } from '../session/session-middleware.ts';
import type { UserSession } from '../session/user-session.ts';

type Route = ResolvedOptions['apis'][number];

/** What the token choice needs of the session: its id and auth, and how to end it. */
export interface TokenSession {
  id: string;
  auth: UserSession;
  /** Ends the session (its refresh token was refused). */
  end(): Promise<void>;
}

/** The credential a route's request carries (its `token` type), or `undefined` for `none`. */
export async function chooseCredential(bff: Bff, route: Route, session: TokenSession | undefined): Promise<AccessCredential | undefined> {
  const now = credentialNow(bff, route, session);
  if (now !== LATER) return now;
  return carriesUserToken(route, session) ? userCredential(bff, session) : clientCredential(bff, route);
}

/**
 * {@link chooseCredential} without a promise when the token is at hand (not due for refresh, or
 * the BFF's cached client token), else {@link LATER}. Throws what `chooseCredential` throws.
 */
export function credentialNow(bff: Bff, route: Route, session: Pick<TokenSession, 'id' | 'auth'> | undefined): AccessCredential | undefined | Later {
  if (route.token === 'none') return undefined;
  if (route.token === 'user' && !session) throw new Unauthenticated();
  if (carriesUserToken(route, session)) {
    const tokens = bff.tokens.tokensNow({ id: session.id, auth: session.auth });
    return tokens === LATER ? LATER : credentialOf(tokens);
  }
  const token = bff.clientTokens.tokenNow(route.scope, route.resource);
  return token === LATER ? LATER : clientCredentialOf(bff, token);
}

/** Whether a request of `route` (not `none`) carries the session's token rather than the BFF's own. */
function carriesUserToken<S>(route: Route, session: S | undefined): session is S {
  return session !== undefined && route.token !== 'client';
}

/** {@link chooseCredential} for a Koa context with a session (the WebSocket handshake). */
export async function credentialFor(bff: Bff, route: Route, ctx: Koa.Context): Promise<AccessCredential | undefined> {
  const auth = authOf(ctx);
  return chooseCredential(bff, route, auth && { id: sessionOf(ctx).externalKey, auth, end: () => endSession(ctx, bff.repository, bff.options) });
}

/**
 * Sets `Authorization` (and `DPoP`) for a request to `url` with `method`. Call after the browser's
 * headers were rewritten; a `DPoP` header the browser sent never travels on.
 */
export function presentCredential(headers: IncomingHttpHeaders, credential: AccessCredential | undefined, request: { method: string; url: string; nonces: DpopNonces }): void {
  if (headers['dpop'] !== undefined) delete headers['dpop'];
  if (!credential) return;
  const nonce = credential.scheme === 'DPoP' ? request.nonces.get(request.url) : undefined;
  Object.assign(headers, authorizationOf(credential, { method: request.method, url: request.url, nonce }));
}

async function clientCredential(bff: Bff, route: Route): Promise<AccessCredential> {
  return clientCredentialOf(bff, await bff.clientTokens.token(route.scope, route.resource));
}

/** A client-credentials token as presented: bound to the instance's DPoP key when the provider bound it. */
const clientCredentialOf = (bff: Bff, token: ClientToken): AccessCredential => credentialOf({ ...token, dpopKey: bff.provider.instanceDpopKey });

/** The signed-in user's token (refreshed when due); a refused refresh token ends the session. */
export async function userCredential(bff: Bff, session: TokenSession): Promise<AccessCredential> {
  try {
    return credentialOf(await bff.tokens.userTokens({ id: session.id, auth: session.auth }));
  } catch (err) {
    if (err instanceof SessionExpired) await session.end();
    throw err;
  }
}

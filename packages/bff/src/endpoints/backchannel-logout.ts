/**
 * `POST /bff/backchannel-logout` (form: `logout_token`): the provider ends a
 * user's sessions server to server. Every session of the token's `sid`
 * (or, with only `sub`, every session of that user) is destroyed. 200 on
 * success, 400 JSON on anything invalid; a token's `jti` is accepted once.
 * No CSRF header here: the caller is the provider, and the signed token is
 * the proof.
 */
import type Koa from 'koa';
import type { Bff } from '../context.ts';
import { InvalidRequest, ServerError } from '../errors.ts';
import { notify } from '../events.ts';
import { LogoutTokenError, verifyLogoutToken } from '../protocol/logout-token.ts';
import { LOGOUT_TOKEN_TYPES } from '../protocol/profiles.ts';
import { endProviderSessions, tellEnded } from '../session/end-provider-sessions.ts';
import type { SessionStore } from '../session/store.ts';
import type { Route } from './route.ts';

/** Largest accepted request body. */
const MAX_BODY = 16 * 1024;
/** How old a logout token may be; its jti is remembered this long. */
const MAX_AGE_SECONDS = 120;

/** The back-channel logout endpoint. */
export function backchannelLogoutEndpoint(bff: Bff): Koa.Middleware {
  const { options, provider, store, logger } = bff;
  return async function backchannelLogout(ctx) {
    if (!ctx.is('application/x-www-form-urlencoded')) throw new InvalidRequest('Send the logout_token as application/x-www-form-urlencoded.');
    const form = new URLSearchParams(await readBody(ctx));
    const tokens = form.getAll('logout_token');
    if (tokens.length !== 1 || !tokens[0]) throw new InvalidRequest('Exactly one logout_token is required.');
    let claims;
    try {
      claims = await verifyLogoutToken(tokens[0], await provider.keys(), {
        issuer: options.issuer,
        clientId: options.clientId,
        algorithms: options.idTokenAlgorithms,
        clockTolerance: options.clockTolerance,
        maxAgeSeconds: MAX_AGE_SECONDS,
        // The profile's legacy types: Keycloak before 25 types logout tokens `JWT`.
        typ: LOGOUT_TOKEN_TYPES[options.provider],
      });
    } catch (err) {
      if (err instanceof LogoutTokenError) throw new InvalidRequest(`Invalid logout token: ${err.message}.`);
      throw err;
    }
    // Replay defence: remember each jti for as long as its token could be accepted.
    // Set-if-absent in one step: two concurrent deliveries of one token must not both pass.
    if (!(await markSeen(store, `jti:${claims.jti}`, (MAX_AGE_SECONDS + options.clockTolerance) * 1000))) {
      throw new InvalidRequest('Invalid logout token: this jti was already used.');
    }

    if (!store.findIds) throw new ServerError('The session store cannot look sessions up by sid or sub (findIds).');
    // Both sid and sub given: only sessions of that user in that provider session.
    const ended = await endProviderSessions(store, bff.repository, { ...(claims.sid ? { sid: claims.sid } : {}), ...(claims.sub ? { sub: claims.sub } : {}) });
    // The users come from the ended records: a token with only `sid` names nobody.
    await tellEnded(options.hooks, ended, 'backchannel');
    logger.info({ sessions: ended.length, by: claims.sid ? 'sid' : 'sub' }, 'back-channel logout');
    notify(() => options.events.logout?.({ kind: 'backchannel', sessions: ended.length }));
    ctx.status = 200;
    ctx.body = '';
  };
}

/** Records `key` unless it is there already; false when it was (a replay). */
async function markSeen(store: SessionStore, key: string, ttlMs: number): Promise<boolean> {
  if (store.add) return store.add(key, { at: Date.now() }, ttlMs);
  // A store without `add`: check-then-set, atomic only within one process's event loop turn.
  if (await store.get(key)) return false;
  await store.set(key, { at: Date.now() }, ttlMs);
  return true;
}

async function readBody(ctx: Koa.Context): Promise<string> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > MAX_BODY) throw new InvalidRequest('The request body is too large.');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new InvalidRequest('The request body is too large.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `POST /bff/backchannel-logout`: from the provider, proven by the signed logout token. */
export const backchannelLogoutRoute: Route = { method: 'POST', path: '/backchannel-logout', stack: ({ bff }) => [backchannelLogoutEndpoint(bff)] };

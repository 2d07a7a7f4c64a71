/**
 * "Where am I signed in": the signed-in user's live sessions, across
 * instances (through the store's sub index), and ending them.
 *
 * - `GET /bff/sessions` → 200 `[{ id, current, createdAt, lastSeenAt, userAgent }]`
 * - `DELETE /bff/sessions/{id}` → 204 (404 for an unknown id or another user's)
 * - `DELETE /bff/sessions` → 204: every session of the user but this one
 *
 * All need `X-CSRF: 1`. An `id` is a keyed hash of the session id (HMAC with
 * the first session key): it names a session to its owner and is worthless
 * as a cookie. Ending a session revokes its refresh token, like logout.
 */
import { createHmac } from 'node:crypto';
import type Koa from 'koa';
import type { Bff } from '../context.ts';
import { NotFound, ServerError, Unauthenticated } from '../errors.ts';
import { summarize } from '../middleware/error-handler.ts';
import { isLive, lastRenewal } from '../session/record.ts';
import { authOf, endSession, sessionOf } from '../session/session-middleware.ts';
import type { UserSession } from '../session/user-session.ts';
import type { Route } from './route.ts';

/** One entry of `GET /bff/sessions`. */
export interface SessionListEntry {
  /** Opaque handle for `DELETE /bff/sessions/{id}`. */
  id: string;
  /** The session of this request. */
  current: boolean;
  /** Unix seconds. */
  createdAt: number;
  /** Unix seconds of the last recorded activity (recorded when the idle timeout is renewed, at most every half idle timeout). */
  lastSeenAt: number;
  userAgent: string | null;
}

interface Live {
  id: string;
  handle: string;
  auth: UserSession;
  record: Record<string, unknown>;
}

/** The sessions endpoints: `list`, `end` (one), `endOthers`. */
export function sessionsEndpoints(bff: Bff): { list: Koa.Middleware; end: Koa.Middleware; endOthers: Koa.Middleware } {
  const { options, store, repository, provider, logger } = bff;
  const handleOf = (id: string): string => createHmac('sha256', options.session.keys[0]!).update(`session-handle:${id}`).digest('base64url').slice(0, 32);

  /** The live sessions of the signed-in user (the index is a hint: each record is checked). */
  async function liveSessions(ctx: Koa.Context): Promise<{ current: string; sessions: Live[] }> {
    const auth = authOf(ctx);
    if (!auth) throw new Unauthenticated();
    if (!store.findIds) throw new ServerError('The session store cannot list sessions (findIds).');
    const now = Date.now();
    const sessions: Live[] = [];
    for (const id of await store.findIds({ sub: auth.sub })) {
      // Through the repository: the lifetime rules read the (decrypted) token expiries.
      const record = await repository.get(id);
      if (!isLive(record, options.session.absoluteTimeout, now) || record.auth.sub !== auth.sub) continue;
      sessions.push({ id, handle: handleOf(id), auth: record.auth, record });
    }
    return { current: sessionOf(ctx).externalKey, sessions };
  }

  async function end(ctx: Koa.Context, target: Live, current: string): Promise<void> {
    if (target.id === current) {
      await endSession(ctx, repository, options);
    } else {
      await repository.destroy(target.id);
      const refreshToken = target.auth.tokens.refreshToken;
      if (options.logout.revokeTokens && refreshToken) {
        await provider.revoke(refreshToken).catch((err: unknown) => logger.warn({ err: summarize(err) }, 'refresh token revocation failed'));
      }
    }
    await options.hooks.onLogout?.({ sub: target.auth.sub, kind: 'sessions' });
  }

  return {
    async list(ctx) {
      const { current, sessions } = await liveSessions(ctx);
      const entries: SessionListEntry[] = sessions
        .map(({ id, handle, auth, record }) => {
          const lastSeen = lastRenewal(record) ?? auth.createdAt;
          return {
            id: handle,
            current: id === current,
            createdAt: Math.floor(auth.createdAt / 1000),
            lastSeenAt: Math.floor(Math.max(lastSeen, auth.createdAt) / 1000),
            userAgent: auth.userAgent ?? null,
          };
        })
        .sort((a, b) => b.lastSeenAt - a.lastSeenAt);
      ctx.body = entries;
    },
    async end(ctx) {
      const { current, sessions } = await liveSessions(ctx);
      const target = sessions.find((s) => s.handle === ctx.params['id']);
      if (!target) throw new NotFound('No session of yours has this id.');
      await end(ctx, target, current);
      ctx.status = 204;
    },
    async endOthers(ctx) {
      const { current, sessions } = await liveSessions(ctx);
      for (const target of sessions) if (target.id !== current) await end(ctx, target, current);
      ctx.status = 204;
    },
  };
}

/** `GET /bff/sessions`, `DELETE /bff/sessions/{id}`, `DELETE /bff/sessions`, behind the CSRF check. */
export const sessionsRoutes: Route[] = (() => {
  const cache = new WeakMap<Bff, ReturnType<typeof sessionsEndpoints>>();
  const of = (bff: Bff) => cache.get(bff) ?? cache.set(bff, sessionsEndpoints(bff)).get(bff)!;
  return [
    { method: 'GET', path: '/sessions', stack: ({ bff, csrf }) => [csrf, of(bff).list] },
    { method: 'DELETE', path: '/sessions', stack: ({ bff, csrf }) => [csrf, of(bff).endOthers] },
    { method: 'DELETE', path: '/sessions/:id', stack: ({ bff, csrf }) => [csrf, of(bff).end] },
  ];
})();

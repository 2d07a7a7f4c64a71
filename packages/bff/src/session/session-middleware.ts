/**
 * Sessions through koa-session with an external store: the cookie carries
 * only a signed opaque id, the record lives in the {@link SessionStore}, and
 * the tokens inside it are encrypted before the store sees them.
 *
 * Commits are manual (autoCommit off): the proxy must write the session
 * before it hands the response over to http-proxy, and every other endpoint
 * commits once when it is done.
 */
import type Koa from 'koa';
import createSession from 'koa-session';
import type { ResolvedOptions } from '../options.ts';
import { generateId, signId, verifySignedId } from './cookie.ts';
import { sessionDeadline } from './lifetime.ts';
import type { SessionRepository } from './repository.ts';
import type { SessionRecord } from './store.ts';
import type { UserSession } from './user-session.ts';

/** The koa-session object as the BFF uses it. */
export interface KoaSession {
  auth?: UserSession;
  readonly isNew: boolean;
  readonly externalKey: string;
  regenerate(): Promise<void>;
  manuallyCommit(): Promise<void>;
}

type SessionContext = Koa.Context & { session: KoaSession | null };

/** The current session (never null inside the BFF's middleware). */
export function sessionOf(ctx: Koa.Context): KoaSession {
  return (ctx as SessionContext).session!;
}

/** The signed-in user's session, or `undefined` when anonymous. */
export function authOf(ctx: Koa.Context): UserSession | undefined {
  return sessionOf(ctx).auth;
}

const COMMITTED = Symbol('portcullis.sessionCommitted');

/** Writes the session now, at most once per request; an unchanged session is not written. */
export async function commitSession(ctx: Koa.Context): Promise<void> {
  const state = ctx.state as Record<symbol, boolean>;
  if (state[COMMITTED]) return;
  state[COMMITTED] = true;
  await (ctx as SessionContext).session?.manuallyCommit();
}

/** Ends the session now: removes the record from the store and clears the cookie. */
export async function endSession(ctx: Koa.Context, repository: SessionRepository, options: ResolvedOptions): Promise<void> {
  const session = (ctx as SessionContext).session;
  (ctx.state as Record<symbol, boolean>)[COMMITTED] = true;
  if (session && !session.isNew) await repository.destroy(session.externalKey);
  ctx.cookies.set(options.session.cookie, '', { ...cookieOptions(options), expires: new Date(0) });
  (ctx as SessionContext).session = null;
}

function cookieOptions(options: ResolvedOptions) {
  const { secure, sameSite } = options.session;
  return { httpOnly: true, secure, sameSite, path: '/', overwrite: true, signed: false } as const;
}

/** Sets the session cookie (`<id>.<mac>`) for a full idle timeout. */
export function setSessionCookie(ctx: Koa.Context, id: string, options: ResolvedOptions): void {
  const { cookie, keys, idleTimeout } = options.session;
  ctx.cookies.set(cookie, signId(id, keys), { ...cookieOptions(options), maxAge: idleTimeout * 1000 });
}

/**
 * The session middleware: binds koa-session to the app on first use
 * (koa-session extends the app's context prototype), then loads the session.
 */
export function createSessionMiddleware(options: ResolvedOptions, repository: SessionRepository): Koa.Middleware {
  const { cookie, keys, idleTimeout, absoluteTimeout } = options.session;
  const sessionOptions = {
    key: cookie,
    ...cookieOptions(options),
    maxAge: idleTimeout * 1000,
    autoCommit: false,
    rolling: false,
    // Re-save (and extend the idle timeout) once half of it has passed, not on every request.
    renew: true,
    store: repository,
    genid: generateId,
    externalKey: {
      get: (ctx: Koa.Context): string => verifySignedId(ctx.cookies.get(cookie), keys) ?? '',
      set: (ctx: Koa.Context, id: string): void => setSessionCookie(ctx, id, options),
    },
    valid: (_ctx: Koa.Context, data: SessionRecord): boolean => {
      const auth = data['auth'] as UserSession | undefined;
      return !auth || sessionDeadline(auth, absoluteTimeout) > Date.now();
    },
  };
  const perApp = new WeakMap<Koa, Koa.Middleware>();
  return async function portcullisSession(ctx, next) {
    let session = perApp.get(ctx.app);
    if (!session) perApp.set(ctx.app, (session = createSession(sessionOptions as never, ctx.app) as Koa.Middleware));
    await session(ctx, next);
  };
}

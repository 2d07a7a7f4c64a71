/**
 * The session of a proxied API call, read without koa-session. Proxied calls
 * are the hot path and never create, regenerate or change a session: they
 * only read it, refresh its tokens (which the token manager stores itself)
 * and extend its idle timeout. koa-session's change detection (two CRC32s of
 * the whole session JSON per request) and per-request objects cost more than
 * the rest of the BFF's own work there (bench/), so this reader does just
 * that, on the same cookie and record format and with the same rules:
 * signed id, the idle and absolute deadlines and renewal of session/record.ts.
 *
 * {@link createSessionReader} works on raw headers (the Node-level fast path
 * and the Koa proxy route share it); {@link createProxySessionMiddleware}
 * puts the same session on `ctx.session` for `requireSession`.
 */
import type Koa from 'koa';
import { TemporarilyUnavailable } from '../errors.ts';
import { LATER, type Later } from '../later.ts';
import type { ResolvedOptions } from '../options.ts';
import { cookieValue, sessionCookieHeader, signId, verifySignedId } from './cookie.ts';
import { isLive, renewalDue, renewed } from './record.ts';
import type { SessionRepository } from './repository.ts';
import type { KoaSession } from './session-middleware.ts';
import type { SessionRecord } from './store.ts';
import type { UserSession } from './user-session.ts';

/** A live signed-in session read from the store. */
export interface LoadedSession {
  readonly id: string;
  readonly record: SessionRecord;
  /** The record's `auth`; the token manager replaces its `tokens` on refresh. */
  readonly auth: UserSession;
}

/** Receives a `Set-Cookie` value to send with the response. */
export type CookieSink = (setCookie: string) => void;

/** Reads, renews and ends proxied calls' sessions from raw request headers. */
export interface SessionReader {
  /** The live session named by the `Cookie` header, or `undefined` (none, forged, expired). */
  load(cookieHeader: string | undefined): Promise<LoadedSession | undefined>;
  /** {@link load} without a promise, or {@link LATER} when the store must be awaited. */
  loadNow(cookieHeader: string | undefined): LoadedSession | undefined | Later;
  /** Whether {@link renew} would write (the idle deadline is due): without it, `renew` can be skipped. */
  renewalDue(session: LoadedSession): boolean;
  /** Extends the idle timeout once half of it has passed (koa-session's `renew`), re-sending the cookie. */
  renew(session: LoadedSession, setCookie: CookieSink): Promise<void>;
  /** Destroys the session and clears its cookie (a refused refresh token). */
  end(session: LoadedSession, setCookie: CookieSink): Promise<void>;
}

/** The session reader of one BFF instance. */
export function createSessionReader(options: ResolvedOptions, repository: SessionRepository): SessionReader {
  const { cookie, keys, idleTimeout, absoluteTimeout } = options.session;
  const attributes = { secure: options.session.secure, sameSite: options.session.sameSite };
  const idleMs = idleTimeout * 1000;
  const live = (id: string, record: SessionRecord | undefined): LoadedSession | undefined => (isLive(record, absoluteTimeout) ? { id, record, auth: record.auth } : undefined);
  return {
    async load(cookieHeader) {
      const id = verifySignedId(cookieValue(cookieHeader, cookie), keys);
      return id ? live(id, await repository.get(id)) : undefined;
    },
    loadNow(cookieHeader) {
      const id = verifySignedId(cookieValue(cookieHeader, cookie), keys);
      if (!id) return undefined;
      const record = repository.getNow(id);
      return record === LATER ? LATER : live(id, record);
    },
    renewalDue: ({ record }) => renewalDue(record, idleMs),
    async renew({ id, record, auth }, setCookie) {
      if (!renewalDue(record, idleMs)) return;
      let written: boolean;
      try {
        // Conditional on the version read: a refresh written meanwhile (here or elsewhere) is never overwritten.
        written = await repository.set(id, renewed({ ...record, auth }, idleMs), idleMs + 10_000);
      } catch (err) {
        // Extending the idle timeout is not worth failing a call whose tokens are valid: the next call renews.
        if (err instanceof TemporarilyUnavailable) return;
        throw err;
      }
      if (written) setCookie(sessionCookieHeader(cookie, signId(id, keys), attributes, idleMs));
    },
    async end({ id }, setCookie) {
      await repository.destroy(id);
      setCookie(sessionCookieHeader(cookie, '', attributes));
    },
  };
}

/** A loaded session as `requireSession` sees it on `ctx.session`; `commit` only ever extends the idle timeout. */
class ProxySession implements KoaSession {
  auth?: UserSession;
  readonly isNew: boolean;
  readonly externalKey: string;

  constructor(
    readonly loaded: LoadedSession | undefined,
    readonly renewal: (loaded: LoadedSession) => Promise<void>,
  ) {
    this.isNew = loaded === undefined;
    this.externalKey = loaded?.id ?? '';
    if (loaded) this.auth = loaded.auth;
  }

  /** Proxied calls never regenerate a session (that happens at login only). */
  async regenerate(): Promise<void> {
    throw new Error('a proxied call cannot regenerate the session');
  }

  async manuallyCommit(): Promise<void> {
    // `delete session.auth` (a logout in the handler) leaves nothing to renew.
    if (this.loaded && this.auth) await this.renewal({ ...this.loaded, auth: this.auth });
  }
}

/** Middleware that puts a {@link KoaSession} on `ctx.session`, read by a {@link SessionReader} (given, or made here). */
export function createProxySessionMiddleware(options: ResolvedOptions, repository: SessionRepository, reader = createSessionReader(options, repository)): Koa.Middleware {
  return async function proxySession(ctx, next) {
    const loaded = await reader.load(ctx.get('cookie') || undefined);
    const session = new ProxySession(loaded, (l) => reader.renew(l, (value) => ctx.append('Set-Cookie', value)));
    // An own property: it shadows koa-session's accessor on the app's context prototype.
    Object.defineProperty(ctx, 'session', { value: session, writable: true, configurable: true, enumerable: true });
    await next();
  };
}

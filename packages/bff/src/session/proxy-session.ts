/**
 * The session of a proxied API call, read without koa-session. Proxied calls
 * are the hot path and never create, regenerate or change a session: they
 * only read it, refresh its tokens (which the token manager stores itself)
 * and extend its idle timeout. koa-session's change detection (two CRC32s of
 * the whole session JSON per request) and per-request objects cost more than
 * the rest of the BFF's own work there (bench/), so this reader does just
 * that, on the same cookie and record format and with the same rules:
 * signed id, the idle and absolute deadlines and renewal of session/record.ts.
 */
import type Koa from 'koa';
import { TemporarilyUnavailable } from '../errors.ts';
import type { ResolvedOptions } from '../options.ts';
import { verifySignedId } from './cookie.ts';
import { isLive, renewalDue, renewed } from './record.ts';
import type { SessionRepository } from './repository.ts';
import { setSessionCookie, type KoaSession } from './session-middleware.ts';
import type { SessionRecord } from './store.ts';
import type { UserSession } from './user-session.ts';

/** A loaded session as the proxy sees it; `commit` only ever extends the idle timeout. */
class ProxySession implements KoaSession {
  auth?: UserSession;
  readonly isNew: boolean;
  readonly externalKey: string;

  constructor(
    readonly ctx: Koa.Context,
    readonly record: SessionRecord | undefined,
    id: string,
    readonly renewal: (session: ProxySession) => Promise<void>,
  ) {
    this.isNew = record === undefined;
    this.externalKey = id;
    const auth = record?.['auth'] as UserSession | undefined;
    if (auth) this.auth = auth;
  }

  /** Proxied calls never regenerate a session (that happens at login only). */
  async regenerate(): Promise<void> {
    throw new Error('a proxied call cannot regenerate the session');
  }

  async manuallyCommit(): Promise<void> {
    await this.renewal(this);
  }
}

/** Middleware that puts a {@link KoaSession} on `ctx.session` for proxied calls. */
export function createProxySessionMiddleware(options: ResolvedOptions, repository: SessionRepository): Koa.Middleware {
  const { cookie, keys, idleTimeout, absoluteTimeout } = options.session;
  const idleMs = idleTimeout * 1000;

  // Same rule as koa-session's `renew`: write again once less than half of the idle timeout is left.
  const renew = async (session: ProxySession): Promise<void> => {
    const { record } = session;
    if (!record || !session.auth || !renewalDue(record, idleMs)) return;
    let written: boolean;
    try {
      // Conditional on the version read: a refresh written meanwhile (here or elsewhere) is never overwritten.
      written = await repository.set(session.externalKey, renewed({ ...record, auth: session.auth }, idleMs), idleMs + 10_000);
    } catch (err) {
      // Extending the idle timeout is not worth failing a call whose tokens are valid: the next call renews.
      if (err instanceof TemporarilyUnavailable) return;
      throw err;
    }
    if (written) setSessionCookie(session.ctx, session.externalKey, options);
  };

  return async function proxySession(ctx, next) {
    const id = verifySignedId(ctx.cookies.get(cookie), keys);
    let record = id ? await repository.get(id) : undefined;
    if (!isLive(record, absoluteTimeout)) record = undefined;
    const session = new ProxySession(ctx, record, record ? id! : '', renew);
    // An own property: it shadows koa-session's accessor on the app's context prototype.
    Object.defineProperty(ctx, 'session', { value: session, writable: true, configurable: true, enumerable: true });
    await next();
  };
}

/**
 * Access tokens for proxied calls: the user's (refreshed before it expires,
 * one refresh grant per session however many calls race for it) and the
 * client's own (client credentials, cached per scope and resource).
 */
import type Koa from 'koa';
import { ErrorResponse } from 'oidc-client-ts';
import type { Bff } from '../context.ts';
import { BffError, SessionExpired, TemporarilyUnavailable } from '../errors.ts';
import { summarize } from '../middleware/error-handler.ts';
import { authOf, endSession, sessionOf } from '../session/session-middleware.ts';
import type { TokenSet, UserSession } from '../session/user-session.ts';
import { ClientCredentials } from './client-credentials.ts';
import { expiresWithin } from './expiry.ts';
import { withRefreshLock } from './refresh-lock.ts';
import { SingleFlight } from './single-flight.ts';

const now = (): number => Math.floor(Date.now() / 1000);


/** Hands out valid access tokens for proxied calls. */
export class TokenManager {
  readonly #bff: () => Bff;
  readonly #refreshes = new SingleFlight<TokenSet>();
  readonly client: ClientCredentials;

  /** `bff` is read lazily: the manager is part of the instance it reads. */
  constructor(bff: () => Bff) {
    this.#bff = bff;
    this.client = new ClientCredentials(bff);
  }

  /**
   * Whether `tokens` needs a refresh before use: it expires within the skew, or within half its
   * lifetime for tokens shorter-lived than twice the skew (else every call would refresh).
   */
  expiring(tokens: TokenSet): boolean {
    return expiresWithin(tokens.expiresAt, tokens.issuedAt, this.#bff().options.refreshSkew);
  }

  /**
   * The signed-in user's access token, refreshed first when it expires within
   * the skew. Throws `SessionExpired` (and ends the session) when the refresh
   * token is refused, `TemporarilyUnavailable` (session kept) when the
   * provider cannot be reached.
   */
  async userAccessToken(ctx: Koa.Context): Promise<string> {
    const auth = authOf(ctx)!;
    if (!this.expiring(auth.tokens)) return auth.tokens.accessToken;
    const bff = this.#bff();
    const id = sessionOf(ctx).externalKey;
    try {
      auth.tokens = await this.#refreshes.run(id, () => this.#refresh(id, auth));
    } catch (err) {
      if (err instanceof SessionExpired) await endSession(ctx, bff.repository, bff.options);
      throw err;
    }
    return auth.tokens.accessToken;
  }

  async #refresh(id: string, auth: UserSession): Promise<TokenSet> {
    const { store, repository } = this.#bff();
    // Fencing re-read: another request or instance may have refreshed (and rotated the refresh token) already.
    // A record gone meanwhile means the session ended (logout, back-channel logout): never revive it.
    const stored = async (): Promise<{ record: Record<string, unknown>; current: UserSession }> => {
      const record = await repository.get(id);
      const current = record?.['auth'] as UserSession | undefined;
      if (!record || !current) throw new SessionExpired();
      return { record, current };
    };
    const settled = async (): Promise<TokenSet | undefined> => {
      const { current } = await stored();
      return this.expiring(current.tokens) ? undefined : current.tokens;
    };
    return withRefreshLock(store, `refresh:${id}`, settled, async () => {
      const { record, current } = await stored();
      if (!this.expiring(current.tokens)) return current.tokens;
      return this.#grant(id, record, current);
    });
  }

  async #grant(id: string, record: Record<string, unknown>, current: UserSession): Promise<TokenSet> {
    const { provider, repository, logger } = this.#bff();
    const refreshToken = current.tokens.refreshToken;
    if (!refreshToken) throw new SessionExpired('The access token expired and there is no refresh token: log in again.');
    let fresh;
    try {
      fresh = await provider.refresh(refreshToken, current.sub, current.tokens.idToken, current.tokens.scope);
    } catch (err) {
      if (err instanceof ErrorResponse && err.error === 'invalid_grant') {
        logger.info({ sub: current.sub }, 'refresh token refused: session ended');
        throw new SessionExpired();
      }
      if (err instanceof BffError) throw err;
      logger.warn({ err: summarize(err) }, 'token refresh failed');
      throw new TemporarilyUnavailable('The access token could not be refreshed: try again shortly.', { cause: err });
    }
    const tokens: TokenSet = {
      accessToken: fresh.accessToken,
      // Rotation: keep the new refresh token; without one, the old one stays valid.
      ...(fresh.refreshToken ?? refreshToken ? { refreshToken: fresh.refreshToken ?? refreshToken } : {}),
      idToken: fresh.idToken ?? current.tokens.idToken,
      expiresAt: fresh.expiresAt,
      issuedAt: now(),
      ...(fresh.scope ?? current.tokens.scope ? { scope: fresh.scope ?? current.tokens.scope } : {}),
      ...(fresh.refreshExpiresAt ? { refreshExpiresAt: fresh.refreshExpiresAt } : fresh.refreshToken ? {} : current.tokens.refreshExpiresAt ? { refreshExpiresAt: current.tokens.refreshExpiresAt } : {}),
    };
    const expire = typeof record['_expire'] === 'number' ? record['_expire'] : Date.now() + 60_000;
    try {
      // Persist before anyone else looks: the old refresh token is dead now.
      await repository.set(id, { ...record, auth: { ...current, tokens } }, Math.max(expire - Date.now() + 10_000, 1000));
    } catch (err) {
      // Ended while the grant ran: the logout revoked the old refresh token, revoke the new one too.
      if (err instanceof SessionExpired && tokens.refreshToken && tokens.refreshToken !== refreshToken) {
        await provider.revoke(tokens.refreshToken).catch((e: unknown) => logger.warn({ err: summarize(e) }, 'refresh token revocation failed'));
      }
      throw err;
    }
    logger.debug({ sub: current.sub }, 'access token refreshed');
    return tokens;
  }
}

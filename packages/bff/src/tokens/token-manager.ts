/**
 * The signed-in user's access token for proxied calls: refreshed before it
 * expires, one refresh grant per session however many calls (and instances)
 * race for it, and no fault that could be ridden out logs the user out:
 *
 * - Refreshing early is opportunistic. When the provider cannot be reached
 *   (network, 5xx, timeout) and the current access token has not expired,
 *   the call goes on with it, and a short backoff keeps every request from
 *   trying the provider again. Only an expired token with the provider away
 *   is a 503. `invalid_grant` still ends the session.
 * - Once the provider has answered, the new tokens are the truth: the call
 *   uses them even when the store cannot take them yet. They are held in
 *   memory and written again (with backoff) until stored, so no later call
 *   on this instance refreshes with the refresh token the provider has just
 *   rotated away (which a provider with reuse detection answers by revoking
 *   the whole grant).
 *
 * No Koa here: the caller passes the session id and its signed-in record.
 */
import { ErrorResponse } from 'oidc-client-ts';
import { InvalidToken, SessionExpired, TemporarilyUnavailable } from '../errors.ts';
import { notify, type BffEvents } from '../events.ts';
import { LATER, type Later } from '../later.ts';
import type { BffLogger } from '../logger.ts';
import { summarize } from '../middleware/error-handler.ts';
import type { ProviderClient, ProviderTokens } from '../protocol/provider-client.ts';
import { RepeatedLog } from '../repeated-log.ts';
import type { SessionRepository } from '../session/repository.ts';
import type { SessionStore } from '../session/store.ts';
import type { TokenSet, UserSession } from '../session/user-session.ts';
import { expiresWithin } from './expiry.ts';
import { withRefreshLock } from './refresh-lock.ts';
import { SingleFlight } from './single-flight.ts';
import { UnsavedTokens } from './unsaved-tokens.ts';

const now = (): number => Math.floor(Date.now() / 1000);

/** After a failed refresh, how long calls with a still-valid token skip the provider. */
export const PROVIDER_BACKOFF_MS = 5000;
/** A token this close to its expiry (seconds) is not ridden on: it could expire on the way to the API. */
const MIN_REMAINING_SECONDS = 2;

/** What the token manager works with. */
export interface TokenManagerDeps {
  provider: Pick<ProviderClient, 'refresh' | 'revoke'>;
  repository: SessionRepository;
  store: SessionStore;
  logger: BffLogger;
  /** Refresh a token that expires within this many seconds (capped at half its life). */
  refreshSkew: number;
  events?: BffEvents;
  /** Called after each successful refresh grant (`hooks.onRefresh`). */
  onRefresh?: (event: { sub: string }) => void | Promise<void>;
  /** Told of each refresh once its tokens are held (userinfo claims renewal); not awaited. */
  afterRefresh?: (refreshed: { id: string; sub: string; tokens: TokenSet; idTokenClaims: Record<string, unknown> | undefined }) => Promise<void>;
}

/** A session as the token manager sees it: its id and its signed-in part (whose `tokens` it replaces). */
export interface SignedInSession {
  id: string;
  auth: UserSession;
}

/** Hands out valid user access tokens for proxied calls. */
export class TokenManager {
  readonly #deps: TokenManagerDeps;
  readonly #refreshes = new SingleFlight<TokenSet>();
  readonly #unsaved: UnsavedTokens;
  readonly #failures: RepeatedLog;
  #providerBackoffUntil = 0;

  constructor(deps: TokenManagerDeps) {
    this.#deps = deps;
    this.#unsaved = new UnsavedTokens(deps.repository, deps.logger, (token) => this.#revoke(token));
    this.#failures = new RepeatedLog(deps.logger);
  }

  /**
   * Whether `tokens` needs a refresh before use: it expires within the skew, or within half its
   * lifetime for tokens shorter-lived than twice the skew (else every call would refresh).
   */
  expiring(tokens: TokenSet): boolean {
    return expiresWithin(tokens.expiresAt, tokens.issuedAt, this.#deps.refreshSkew);
  }

  /**
   * The session's tokens (access token, its type and DPoP key), refreshed first when due (and
   * `session.auth.tokens` replaced). Throws `SessionExpired` when the refresh token is refused (the
   * caller ends the session), `TemporarilyUnavailable` (session kept) when the token has expired and
   * the provider or the store cannot be reached.
   */
  async userTokens(session: SignedInSession): Promise<TokenSet> {
    const { auth } = session;
    const current = this.tokensNow(session);
    if (current !== LATER) return current;
    auth.tokens = await this.#refreshes.run(session.id, () => this.#refresh(session.id, auth.tokens));
    return auth.tokens;
  }

  /** {@link userTokens} when no refresh is due (no promise), else {@link LATER}. */
  tokensNow(session: SignedInSession): TokenSet | Later {
    const { auth } = session;
    auth.tokens = this.#unsaved.newest(session.id, auth.tokens);
    if (!this.expiring(auth.tokens)) return auth.tokens;
    if (Date.now() < this.#providerBackoffUntil && usable(auth.tokens)) return auth.tokens;
    return LATER;
  }

  /** Tokens held because the store could not take them yet (sessions), for tests and diagnostics. */
  get unsavedCount(): number {
    return this.#unsaved.size;
  }

  /** Stops background writes (tokens still held are dropped). */
  close(): void {
    this.#unsaved.close();
  }

  async #refresh(id: string, known: TokenSet): Promise<TokenSet> {
    const { store, repository } = this.#deps;
    // Fencing re-read: another request or instance may have refreshed (and rotated the refresh token) already.
    // A record gone meanwhile means the session ended (logout, back-channel logout): never revive it.
    const stored = async (): Promise<UserSession> => {
      const current = (await repository.get(id))?.['auth'] as UserSession | undefined;
      if (!current) throw new SessionExpired();
      current.tokens = this.#unsaved.newest(id, current.tokens);
      return current;
    };
    const settled = async (): Promise<TokenSet | undefined> => {
      const current = await stored();
      return this.expiring(current.tokens) ? undefined : current.tokens;
    };
    try {
      return await withRefreshLock(store, `refresh:${id}`, settled, async (lock) => {
        const current = await stored();
        if (!this.expiring(current.tokens)) return current.tokens;
        // A lease that lapsed (a paused process) may be someone else's now: never start a second grant.
        await lock.confirm();
        return this.#grant(id, current);
      });
    } catch (err) {
      // The store is away (lock or re-read): a token that is still valid carries the call.
      if (err instanceof TemporarilyUnavailable && usable(known)) return known;
      throw err;
    }
  }

  async #grant(id: string, current: UserSession): Promise<TokenSet> {
    const { provider, logger } = this.#deps;
    const refreshToken = current.tokens.refreshToken;
    if (!refreshToken) {
      if (usable(current.tokens)) return current.tokens;
      throw new SessionExpired('The access token expired and there is no refresh token: log in again.');
    }
    let fresh: ProviderTokens;
    try {
      fresh = await provider.refresh(refreshToken, current.sub, current.tokens.scope, current.tokens.dpopKey);
    } catch (err) {
      const outcome = err instanceof ErrorResponse && err.error === 'invalid_grant' ? 'invalid_grant' : err instanceof InvalidToken || err instanceof ErrorResponse ? 'failed' : 'provider_unreachable';
      notify(() => this.#deps.events?.refresh?.({ outcome }));
      if (err instanceof ErrorResponse && err.error === 'invalid_grant') {
        logger.info({ sub: current.sub }, 'refresh token refused: session ended');
        throw new SessionExpired();
      }
      if (err instanceof InvalidToken) throw err;
      this.#providerBackoffUntil = Date.now() + PROVIDER_BACKOFF_MS;
      const valid = usable(current.tokens);
      this.#failures.report(
        'refresh',
        logger.warn,
        { err: summarize(err), carriedOn: valid },
        valid ? 'token refresh failed: the call goes on with the still-valid access token' : 'token refresh failed',
      );
      if (valid) return current.tokens;
      throw new TemporarilyUnavailable('The access token could not be refreshed: try again shortly.', { cause: err });
    }
    notify(() => this.#deps.events?.refresh?.({ outcome: 'ok' }));
    const tokens = merged(current.tokens, fresh);
    // The provider has answered: these tokens are the truth now, stored or not.
    await this.#unsaved.store(id, tokens, refreshToken);
    logger.debug({ sub: current.sub }, 'access token refreshed');
    void this.#deps.afterRefresh?.({ id, sub: current.sub, tokens, idTokenClaims: fresh.idToken ? fresh.claims : undefined });
    await this.#deps.onRefresh?.({ sub: current.sub });
    return tokens;
  }

  async #revoke(refreshToken: string): Promise<void> {
    await this.#deps.provider.revoke(refreshToken).catch((e: unknown) => this.#deps.logger.warn({ err: summarize(e) }, 'refresh token revocation failed'));
  }
}

/** Whether a token can still be sent: it has not expired (with a small margin). */
function usable(tokens: TokenSet): boolean {
  return tokens.expiresAt - MIN_REMAINING_SECONDS > now();
}

/** The token set after a refresh: rotation keeps the new refresh token; without one, the old one stays valid. */
function merged(previous: TokenSet, fresh: ProviderTokens): TokenSet {
  const refreshToken = fresh.refreshToken ?? previous.refreshToken;
  const scope = fresh.scope ?? previous.scope;
  const refreshExpiresAt = fresh.refreshExpiresAt ?? (fresh.refreshToken ? undefined : previous.refreshExpiresAt);
  const dpopKey = fresh.dpopKey ?? previous.dpopKey;
  return {
    accessToken: fresh.accessToken,
    ...(fresh.tokenType === 'DPoP' ? { tokenType: 'DPoP' as const } : {}),
    ...(dpopKey ? { dpopKey } : {}),
    ...(refreshToken ? { refreshToken } : {}),
    idToken: fresh.idToken ?? previous.idToken,
    expiresAt: fresh.expiresAt,
    issuedAt: now(),
    ...(scope ? { scope } : {}),
    ...(refreshExpiresAt ? { refreshExpiresAt } : {}),
  };
}

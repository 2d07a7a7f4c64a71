/**
 * Refreshed tokens that the store has not taken yet. A provider that rotates
 * refresh tokens has already retired the old one when it answers: losing the
 * answer (the store down for a few seconds) would make the next refresh use
 * the old token, and reuse detection (Okta, Auth0, oidc-provider) revokes
 * the whole grant. So the answer is written at once, and when that fails it
 * is held here, used by every call of the session on this instance, and
 * written again with backoff until the store takes it.
 *
 * What is left: an instance that dies between the provider's answer and the
 * write loses it. Providers with a reuse grace period (Okta's, Auth0's
 * leeway) accept the old refresh token once more within that period.
 */
import { SessionExpired } from '../errors.ts';
import type { BffLogger } from '../logger.ts';
import { summarize } from '../middleware/error-handler.ts';
import { storeTtl } from '../session/record.ts';
import type { SessionRepository, SignedInRecord } from '../session/repository.ts';
import type { TokenSet } from '../session/user-session.ts';

/** Most sessions whose tokens are held at once (the oldest is dropped, with an error log). */
const MAX_HELD = 10_000;
const FIRST_RETRY_MS = 200;
const MAX_RETRY_MS = 2000;
/** After this long, a held token set is given up (logged): the session likely ended meanwhile. */
const GIVE_UP_MS = 10 * 60 * 1000;

interface Held {
  tokens: TokenSet;
  /** The refresh token these tokens replaced (revoke the new one if the session turns out ended). */
  previousRefreshToken: string;
  since: number;
  attempt: number;
  timer?: NodeJS.Timeout;
}

/** Writes refreshed tokens, holding and retrying them while the store is away. */
export class UnsavedTokens {
  readonly #held = new Map<string, Held>();
  readonly #repository: SessionRepository;
  readonly #logger: BffLogger;
  readonly #revoke: (refreshToken: string) => Promise<void>;

  constructor(repository: SessionRepository, logger: BffLogger, revoke: (refreshToken: string) => Promise<void>) {
    this.#repository = repository;
    this.#logger = logger;
    this.#revoke = revoke;
  }

  /** Number of sessions with held tokens. */
  get size(): number {
    return this.#held.size;
  }

  /** `stored`, or the held tokens of session `id` when they are newer (the store has not caught up). */
  newest(id: string, stored: TokenSet): TokenSet {
    const held = this.#held.get(id);
    if (!held) return stored;
    if (held.tokens.accessToken === stored.accessToken || (stored.issuedAt ?? 0) > (held.tokens.issuedAt ?? 0)) {
      this.#forget(id);
      return stored;
    }
    return held.tokens;
  }

  /**
   * Writes `tokens` into session `id`. When the store cannot take them, holds them and retries in
   * the background; throws `SessionExpired` (after revoking the new refresh token) when the session
   * was ended meanwhile.
   */
  async store(id: string, tokens: TokenSet, previousRefreshToken: string): Promise<void> {
    try {
      await this.#write(id, tokens);
      this.#forget(id);
    } catch (err) {
      if (err instanceof SessionExpired) {
        await this.#ended(id, tokens, previousRefreshToken);
        throw err;
      }
      this.#logger.warn({ err: summarize(err) }, 'refreshed tokens could not be stored: held in memory and retried');
      this.#hold(id, { tokens, previousRefreshToken, since: Date.now(), attempt: 0 });
    }
  }

  /** Stops every retry (held tokens are dropped). */
  close(): void {
    for (const id of [...this.#held.keys()]) this.#forget(id);
  }

  async #write(id: string, tokens: TokenSet): Promise<void> {
    const withTokens = (current: SignedInRecord): SignedInRecord => {
      // Newer tokens stored meanwhile (a provider without rotation, refreshed elsewhere) stay.
      if ((current.auth.tokens.issuedAt ?? 0) > (tokens.issuedAt ?? 0)) return current;
      return { ...current, auth: { ...current.auth, tokens } };
    };
    await this.#repository.update(id, withTokens, (record) => storeTtl(record));
  }

  #hold(id: string, held: Held): void {
    this.#forget(id);
    this.#held.set(id, held);
    if (this.#held.size > MAX_HELD) {
      const oldest = this.#held.keys().next().value as string;
      this.#logger.error({}, 'too many refreshed token sets waiting for the store: the oldest is dropped (that session will need a new login)');
      this.#forget(oldest);
    }
    this.#schedule(id, held);
  }

  #schedule(id: string, held: Held): void {
    const delay = Math.min(FIRST_RETRY_MS * 2 ** held.attempt, MAX_RETRY_MS);
    held.timer = setTimeout(() => void this.#retry(id, held), delay);
    held.timer.unref();
  }

  async #retry(id: string, held: Held): Promise<void> {
    if (this.#held.get(id) !== held) return;
    try {
      await this.#write(id, held.tokens);
      if (this.#held.get(id) === held) this.#forget(id);
      this.#logger.info({ attempts: held.attempt + 1 }, 'held refreshed tokens stored');
    } catch (err) {
      if (this.#held.get(id) !== held) return;
      if (err instanceof SessionExpired) {
        this.#forget(id);
        await this.#ended(id, held.tokens, held.previousRefreshToken);
        return;
      }
      if (Date.now() - held.since > GIVE_UP_MS) {
        this.#logger.error({ err: summarize(err) }, 'held refreshed tokens could not be stored in time: given up');
        this.#forget(id);
        return;
      }
      held.attempt++;
      this.#schedule(id, held);
    }
  }

  /** The session ended while its refresh ran: the logout revoked the old refresh token, revoke the new one too. */
  async #ended(_id: string, tokens: TokenSet, previousRefreshToken: string): Promise<void> {
    if (tokens.refreshToken && tokens.refreshToken !== previousRefreshToken) await this.#revoke(tokens.refreshToken);
  }

  #forget(id: string): void {
    const held = this.#held.get(id);
    if (held?.timer) clearTimeout(held.timer);
    this.#held.delete(id);
  }
}

/**
 * Session records as the BFF reads and writes them: a {@link SessionStore}
 * underneath, the tokens encrypted on the way in and decrypted on the way
 * out, and the sid/sub index kept from the record. koa-session and the token
 * manager both go through here.
 *
 * Decrypted token sets are cached per session id (bounded) and used only
 * while the stored ciphertext is the very same, so a refresh made by another
 * instance is never missed.
 */
import { SessionExpired } from '../errors.ts';
import type { TokenCipher } from './crypto.ts';
import type { SessionIndex, SessionRecord, SessionStore } from './store.ts';
import type { TokenSet, UserSession } from './user-session.ts';

const MAX_CACHED = 1000;

/** How long an ended session's id stays refused: longer than any request that could still write it. */
export const ENDED_MARKER_TTL_MS = 10 * 60 * 1000;

const endedKey = (id: string): string => `ended:${id}`;

/** koa-session's store contract over a {@link SessionStore}, with token encryption. */
export class SessionRepository {
  readonly #clear = new Map<string, { jwe: string; tokens: TokenSet }>();
  constructor(
    readonly store: SessionStore,
    readonly cipher: TokenCipher,
  ) {}

  // Keyed by session id (short key); the JWE is compared, so a changed record is never served from the cache.
  #remember(id: string, jwe: string, tokens: TokenSet): void {
    this.#clear.delete(id);
    this.#clear.set(id, { jwe, tokens });
    if (this.#clear.size > MAX_CACHED) this.#clear.delete(this.#clear.keys().next().value as string);
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const record = await this.store.get(id);
    const auth = record?.['auth'] as (Omit<UserSession, 'tokens'> & { tokens: unknown }) | undefined;
    if (record && auth && typeof auth.tokens === 'string') {
      const jwe = auth.tokens;
      const hit = this.#clear.get(id);
      let tokens: TokenSet;
      if (hit && hit.jwe === jwe) tokens = hit.tokens;
      else this.#remember(id, jwe, (tokens = (await this.cipher.decrypt(jwe)) as TokenSet));
      // A copy: callers change their record's tokens (refresh), never the cached set.
      auth.tokens = { ...tokens };
    }
    return record;
  }

  /** Writes the record; throws `SessionExpired` when the session was ended meanwhile (see {@link destroy}). */
  async set(id: string, record: SessionRecord, ttlMs: number): Promise<void> {
    if (await this.store.get(endedKey(id))) throw new SessionExpired('This session was ended.');
    const auth = record['auth'] as UserSession | undefined;
    const index: SessionIndex | undefined = auth ? { sub: auth.sub, ...(auth.sid ? { sid: auth.sid } : {}) } : undefined;
    let stored = record;
    if (auth) {
      const jwe = await this.cipher.encrypt(auth.tokens);
      this.#remember(id, jwe, { ...auth.tokens });
      stored = { ...record, auth: { ...auth, tokens: jwe } };
    }
    await this.store.set(id, stored, ttlMs, index);
  }

  /**
   * Ends the session `id`: removes its record and leaves a marker for
   * {@link ENDED_MARKER_TTL_MS}, so a request still in flight for it (a token
   * refresh that started before the logout) cannot write it back.
   */
  async destroy(id: string): Promise<void> {
    this.#clear.delete(id);
    await this.store.destroy(id);
    await this.store.set(endedKey(id), { at: Date.now() }, ENDED_MARKER_TTL_MS);
  }
}

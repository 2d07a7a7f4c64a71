/**
 * Session records as the BFF reads and writes them: a {@link SessionStore}
 * underneath, the tokens encrypted on the way in and decrypted on the way
 * out, and the sid/sub index kept from the record. koa-session, the proxy's
 * session reader and the token manager all go through here.
 *
 * Every write is a compare-and-set on the record's version `v` (a new random
 * one per write): a write based on a record that changed meanwhile (another
 * request or instance refreshed its tokens) or that is gone (logout,
 * back-channel logout) changes nothing. That is what keeps a stale idle
 * renewal from writing back a refresh token that was just rotated, and a
 * logout from being undone by a refresh that was in flight.
 *
 * Decrypted token sets are cached per session id (bounded) and used only
 * while the stored ciphertext is the very same, so a refresh made by another
 * instance is never missed.
 */
import { randomBytes } from 'node:crypto';
import { SessionExpired, TemporarilyUnavailable } from '../errors.ts';
import type { TokenCipher } from './crypto.ts';
import { LATER, type Later } from '../later.ts';
import { versionOf, type SessionIndex, type SessionRecord, type SessionStore } from './store.ts';
import type { TokenSet, UserSession } from './user-session.ts';

const MAX_CACHED = 1000;
/** Compare-and-set rounds of {@link SessionRepository.update} before it gives up (503). */
const MAX_UPDATE_ROUNDS = 8;

/** How long an ended session's id stays refused: longer than any request that could still write it. */
export const ENDED_MARKER_TTL_MS = 10 * 60 * 1000;

const endedKey = (id: string): string => `ended:${id}`;
const newVersion = (): string => randomBytes(12).toString('base64url');
/** The version given to a record written before versions existed (0.1.0): its next write is unconditional, once. */
const UNVERSIONED = '';

/** The JWE of a signed-in record's tokens, if it has one. */
function encryptedTokens(record: SessionRecord | undefined): string | undefined {
  const auth = record?.['auth'] as { tokens?: unknown } | undefined;
  return typeof auth?.tokens === 'string' ? auth.tokens : undefined;
}

/** A signed-in record as {@link SessionRepository.update} hands it over. */
export type SignedInRecord = SessionRecord & { auth: UserSession };

/** koa-session's store contract over a {@link SessionStore}, with token encryption and versioned writes. */
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
    const jwe = encryptedTokens(record);
    if (jwe !== undefined && this.#clear.get(id)?.jwe !== jwe) this.#remember(id, jwe, (await this.cipher.decrypt(jwe)) as TokenSet);
    return this.#opened(id, record, jwe);
  }

  /**
   * {@link get} without a promise, when the store reads synchronously (the memory store) and the
   * tokens' decryption is cached; else {@link LATER}.
   */
  getNow(id: string): SessionRecord | undefined | Later {
    if (!this.store.getNow) return LATER;
    const record = this.store.getNow(id);
    const jwe = encryptedTokens(record);
    if (jwe !== undefined && this.#clear.get(id)?.jwe !== jwe) return LATER;
    return this.#opened(id, record, jwe);
  }

  /** `record` with its tokens in clear (the cache holds `jwe`'s) and its version defaulted. */
  #opened(id: string, record: SessionRecord | undefined, jwe: string | undefined): SessionRecord | undefined {
    const auth = record?.['auth'] as { tokens: unknown } | undefined;
    if (!record || !auth) return record;
    // A copy: callers change their record's tokens (refresh), never the cached set.
    if (jwe !== undefined) auth.tokens = { ...this.#clear.get(id)!.tokens };
    if (versionOf(record) === undefined) record['v'] = UNVERSIONED;
    return record;
  }

  /**
   * Writes `record` if the stored one still has `record.v` (or, for a record without `v`, if
   * nothing is stored under `id`). Returns false, changing nothing, when another write came
   * first; throws `SessionExpired` when the session was ended meanwhile (see {@link destroy}).
   */
  async set(id: string, record: SessionRecord, ttlMs: number): Promise<boolean> {
    const expected = versionOf(record) ?? null;
    const auth = record['auth'] as UserSession | undefined;
    const index: SessionIndex | undefined = auth ? { sub: auth.sub, ...(auth.sid ? { sid: auth.sid } : {}) } : undefined;
    let stored: SessionRecord = { ...record, v: newVersion() };
    let jwe: string | undefined;
    if (auth) {
      jwe = await this.cipher.encrypt(auth.tokens);
      stored = { ...stored, auth: { ...auth, tokens: jwe } };
    }
    const written = await this.#compareAndSet(id, stored, ttlMs, index, expected);
    if (!written) {
      if (await this.store.get(endedKey(id))) throw new SessionExpired('This session was ended.');
      return false;
    }
    if (auth && jwe) this.#remember(id, jwe, { ...auth.tokens });
    return true;
  }

  /**
   * Applies `change` to the current signed-in record and writes the result, again on the newest
   * record whenever another write came first: `change` must be safe to run more than once.
   * Throws `SessionExpired` when the session is gone or was ended.
   */
  async update(id: string, change: (current: SignedInRecord) => SignedInRecord, ttlMs: (record: SignedInRecord) => number): Promise<SignedInRecord> {
    for (let round = 0; round < MAX_UPDATE_ROUNDS; round++) {
      const current = await this.get(id);
      if (!current?.['auth']) throw new SessionExpired();
      const next = change(current as SignedInRecord);
      if (await this.set(id, next, ttlMs(next))) return next;
    }
    throw new TemporarilyUnavailable('The session is being changed by many requests at once: try again shortly.');
  }

  /**
   * Ends the session `id`: removes its record and leaves a marker for
   * {@link ENDED_MARKER_TTL_MS}, so that a store without compare-and-set refuses a write of
   * it from a request still in flight (with compare-and-set, such a write finds no record).
   */
  async destroy(id: string): Promise<void> {
    this.#clear.delete(id);
    await this.store.destroy(id);
    await this.store.set(endedKey(id), { at: Date.now() }, ENDED_MARKER_TTL_MS);
  }

  async #compareAndSet(id: string, record: SessionRecord, ttlMs: number, index: SessionIndex | undefined, expected: string | null): Promise<boolean> {
    if (expected === UNVERSIONED) {
      await this.store.set(id, record, ttlMs, index);
      return true;
    }
    if (this.store.setIf) return this.store.setIf(id, record, ttlMs, index, expected);
    // A store without setIf: the same rule, checked then written (safe within one process only).
    if (await this.store.get(endedKey(id))) return false;
    if (versionOf(await this.store.get(id)) !== expected) return false;
    await this.store.set(id, record, ttlMs, index);
    return true;
  }
}

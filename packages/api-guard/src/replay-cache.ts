/**
 * A bounded, per-process memory of DPoP proof `jti`s (RFC 9449 §11.1): a
 * proof is accepted once. Entries live until the proof could no longer pass
 * the `iat` check anyway.
 *
 * @packageDocumentation
 */

/**
 * Remembers keys until their expiry. Full, it drops the entry that expires
 * first (insertion order, since every entry lives the same time): a proof
 * older than the oldest kept one could be replayed then, so size the cache
 * for the request rate times `maxAge`.
 * @internal
 */
export class ReplayCache {
  readonly #entries = new Map<string, number>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Records `key` until `expiresAt` (epoch ms).
   * @returns `false` when `key` was already recorded and has not expired (a replay).
   */
  add(key: string, expiresAt: number): boolean {
    const now = Date.now();
    this.#prune(now);
    const seen = this.#entries.get(key);
    if (seen !== undefined && seen > now) return false;
    this.#entries.delete(key);
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, expiresAt);
    return true;
  }

  // Expired entries sit at the front (all entries share one lifetime).
  #prune(now: number): void {
    for (const [key, expiresAt] of this.#entries) {
      if (expiresAt > now) break;
      this.#entries.delete(key);
    }
  }
}

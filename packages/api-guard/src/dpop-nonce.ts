/**
 * Stateless server nonces for DPoP proofs (RFC 9449 §9): a nonce is an HMAC
 * of the current period number, so any instance sharing the secret can check
 * it without storage, and it changes every `lifetime` seconds.
 *
 * @packageDocumentation
 */

import { createHmac, timingSafeEqual } from 'node:crypto';

/** @internal */
export class DpopNonces {
  readonly #secret: string;
  readonly #lifetimeMs: number;

  constructor({ secret, lifetime }: { secret: string; lifetime: number }) {
    this.#secret = secret;
    this.#lifetimeMs = lifetime * 1000;
  }

  #period(offset = 0): number {
    return Math.floor(Date.now() / this.#lifetimeMs) + offset;
  }

  #nonceOf(period: number): string {
    const mac = createHmac('sha256', this.#secret).update(`dpop-nonce:${period}`).digest('base64url');
    return `${period.toString(36)}.${mac}`;
  }

  /** The nonce clients should use now (sent in `DPoP-Nonce`). */
  current(): string {
    return this.#nonceOf(this.#period());
  }

  /** Whether `nonce` is the current or the previous period's nonce. */
  isValid(nonce: unknown): boolean {
    if (typeof nonce !== 'string' || nonce.length > 200) return false;
    const given = Buffer.from(nonce);
    return [this.#period(), this.#period(-1)].some((period) => {
      const expected = Buffer.from(this.#nonceOf(period));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }
}

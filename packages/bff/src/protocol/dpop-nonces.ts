/**
 * The last `DPoP-Nonce` each server sent (RFC 9449 §8, §9), per origin:
 * the provider's token endpoint and each API keep their own. Bounded: the
 * origins are the provider and the configured API targets.
 */
const MAX_ORIGINS = 256;

/** Nonces by origin. */
export class DpopNonces {
  readonly #byOrigin = new Map<string, string>();

  /** The nonce to put in a proof for `url`, if its server sent one. */
  get(url: string): string | undefined {
    return this.#byOrigin.size ? this.#byOrigin.get(originOf(url)) : undefined;
  }

  /** Remembers the `DPoP-Nonce` header of a response from `url` (ignored when absent or malformed). */
  remember(url: string, nonce: string | string[] | null | undefined): void {
    // §8.1: a nonce is an unreserved-character string (NQCHAR without quotes is all we send back).
    if (typeof nonce !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]{1,512}$/.test(nonce)) return;
    const origin = originOf(url);
    this.#byOrigin.delete(origin);
    this.#byOrigin.set(origin, nonce);
    if (this.#byOrigin.size > MAX_ORIGINS) this.#byOrigin.delete(this.#byOrigin.keys().next().value as string);
  }
}

function originOf(url: string): string {
  return new URL(url).origin;
}

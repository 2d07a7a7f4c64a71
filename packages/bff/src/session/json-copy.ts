/**
 * Parsed JSON records kept by a store and handed out as copies: parsing a
 * ~3 kB session record costs ~4x what copying its parsed form does, and the
 * proxy reads one per call (bench/). The kept form is frozen, so a bug that
 * writes into it throws instead of changing what the next caller reads.
 */

/** `value` frozen all the way down. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

/** A mutable deep copy of a parsed JSON value (plain objects, arrays, primitives): what JSON.parse would return. */
export function copyOf<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copyOf(value[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const copied = copyOf((value as Record<string, unknown>)[key]);
    // JSON.parse makes "__proto__" an own property; an assignment would set the prototype instead.
    if (key === '__proto__') Object.defineProperty(out, key, { value: copied, writable: true, enumerable: true, configurable: true });
    else out[key] = copied;
  }
  return out as T;
}

/**
 * A bounded map from a key to the frozen parse of the JSON text last seen under it: a read whose
 * text is the very same skips the parse (so a write by anyone else is never missed), and always
 * gets its own copy.
 */
export class ParsedCache<T> {
  readonly #entries = new Map<string, { text: string; parsed: T }>();
  constructor(readonly max = 1000) {}

  /** A copy of `JSON.parse(text)`, through `select` (applied once, to the parse). */
  parse(key: string, text: string, select: (parsed: unknown) => T): T {
    const hit = this.#entries.get(key);
    if (hit && hit.text === text) return copyOf(hit.parsed);
    const parsed = deepFreeze(select(JSON.parse(text)));
    this.#entries.delete(key);
    this.#entries.set(key, { text, parsed });
    if (this.#entries.size > this.max) this.#entries.delete(this.#entries.keys().next().value as string);
    return copyOf(parsed);
  }

  /** Forgets `key` (its record is gone: no need to keep its text). */
  delete(key: string): void {
    this.#entries.delete(key);
  }
}

/**
 * Rate limiting for the endpoints that start and finish logins: each hit
 * costs the provider a round trip and the store a state entry. The built-in
 * limiter counts per key in fixed windows in process memory; a shared
 * {@link RateLimiter} (Redis, a gateway) can replace it.
 */
import type Koa from 'koa';
import { TooManyRequests } from '../errors.ts';
import type { RateLimiter } from '../options.ts';

/** Fixed-window counting per key, in memory, bounded. */
export class FixedWindowLimiter implements RateLimiter {
  readonly #windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    readonly max: number,
    readonly windowSeconds: number,
    readonly maxKeys = 100_000,
  ) {}

  async hit(key: string): Promise<{ allowed: boolean; retryAfterSeconds: number }> {
    const now = Date.now();
    let window = this.#windows.get(key);
    if (!window || window.resetAt <= now) {
      // Map order is window start order: the first entries are the oldest, and expire first.
      this.#windows.delete(key);
      this.#dropExpired(now);
      // Still full: forget the oldest window (O(1)) rather than grow without bound.
      if (this.#windows.size >= this.maxKeys) this.#windows.delete(this.#windows.keys().next().value as string);
      window = { count: 0, resetAt: now + this.windowSeconds * 1000 };
      this.#windows.set(key, window);
    }
    window.count++;
    return { allowed: window.count <= this.max, retryAfterSeconds: Math.max(1, Math.ceil((window.resetAt - now) / 1000)) };
  }

  /** Removes expired windows from the front; stops at the first live one (all later ones are younger). */
  #dropExpired(now: number): void {
    for (const [key, window] of this.#windows) {
      if (window.resetAt > now) return;
      this.#windows.delete(key);
    }
  }
}

/** Refuses with 429 once `limiter` says so for `name` + the client IP. */
export function rateLimit(limiter: RateLimiter, name: string): Koa.Middleware {
  return async function limitRate(ctx, next) {
    const { allowed, retryAfterSeconds } = await limiter.hit(`${name}:${ctx.ip}`);
    if (!allowed) throw new TooManyRequests(retryAfterSeconds);
    await next();
  };
}

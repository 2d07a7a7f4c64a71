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
      if (this.#windows.size >= this.maxKeys) this.#sweep(now);
      window = { count: 0, resetAt: now + this.windowSeconds * 1000 };
      this.#windows.set(key, window);
    }
    window.count++;
    return { allowed: window.count <= this.max, retryAfterSeconds: Math.max(1, Math.ceil((window.resetAt - now) / 1000)) };
  }

  #sweep(now: number): void {
    for (const [key, window] of this.#windows) if (window.resetAt <= now) this.#windows.delete(key);
    // Still full: forget the oldest windows rather than grow without bound.
    for (const key of this.#windows.keys()) {
      if (this.#windows.size < this.maxKeys) break;
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

/** The built-in fixed-window limiter: counting, windows, and a bounded key set. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FixedWindowLimiter } from '../../src/middleware/rate-limit.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('FixedWindowLimiter', () => {
  it('allows max hits per key and window, then refuses with Retry-After', async () => {
    const limiter = new FixedWindowLimiter(2, 60);
    expect((await limiter.hit('a')).allowed).toBe(true);
    expect((await limiter.hit('a')).allowed).toBe(true);
    const third = await limiter.hit('a');
    expect(third.allowed).toBe(false);
    expect(third.retryAfterSeconds).toBeGreaterThan(0);
    expect(third.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect((await limiter.hit('b')).allowed).toBe(true);
  });

  it('starts a new window once the old one is over', async () => {
    vi.useFakeTimers();
    const limiter = new FixedWindowLimiter(1, 10);
    expect((await limiter.hit('a')).allowed).toBe(true);
    expect((await limiter.hit('a')).allowed).toBe(false);
    vi.advanceTimersByTime(10_001);
    expect((await limiter.hit('a')).allowed).toBe(true);
  });

  it('stays bounded: when full, the oldest window goes (not the newest, and not by scanning)', async () => {
    const limiter = new FixedWindowLimiter(1, 60, 3);
    for (const key of ['k1', 'k2', 'k3', 'k4']) await limiter.hit(key);
    // k1 was forgotten: it may hit again; k4 is still counted.
    expect((await limiter.hit('k1')).allowed).toBe(true);
    expect((await limiter.hit('k4')).allowed).toBe(false);
  });
});

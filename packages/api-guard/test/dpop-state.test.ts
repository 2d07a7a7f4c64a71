// The per-process state behind DPoP checks: the jti replay cache and the
// stateless server nonces.
import { afterEach, describe, expect, it, vi } from 'vitest';

import { DpopNonces } from '../src/dpop-nonce.ts';
import { ReplayCache } from '../src/replay-cache.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('ReplayCache', () => {
  it('accepts a key once until it expires', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const cache = new ReplayCache(10);
    expect(cache.add('a', Date.now() + 1000)).toBe(true);
    expect(cache.add('a', Date.now() + 1000)).toBe(false);
    vi.setSystemTime(Date.now() + 1001);
    expect(cache.add('a', Date.now() + 1000)).toBe(true);
  });

  it('stays bounded, dropping the oldest entries first, and prunes expired ones', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const cache = new ReplayCache(3);
    for (const key of ['a', 'b', 'c', 'd']) cache.add(key, Date.now() + 1000);
    expect(cache.size).toBe(3);
    expect(cache.add('a', Date.now() + 1000)).toBe(true); // evicted: the documented limit
    expect(cache.add('d', Date.now() + 1000)).toBe(false);
    vi.setSystemTime(Date.now() + 2000);
    cache.add('e', Date.now() + 1000);
    expect(cache.size).toBe(1);
  });
});

describe('DpopNonces', () => {
  const secret = 'n'.repeat(32);

  it('accepts the current and the previous period, nothing older, nothing forged', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000_000_000);
    const nonces = new DpopNonces({ secret, lifetime: 60 });
    const first = nonces.current();
    expect(nonces.isValid(first)).toBe(true);
    vi.setSystemTime(Date.now() + 60_000);
    expect(nonces.current()).not.toBe(first);
    expect(nonces.isValid(first)).toBe(true);
    vi.setSystemTime(Date.now() + 60_000);
    expect(nonces.isValid(first)).toBe(false);
    expect(nonces.isValid(new DpopNonces({ secret: 'm'.repeat(32), lifetime: 60 }).current())).toBe(false);
    expect(nonces.isValid(undefined)).toBe(false);
    expect(nonces.isValid('x'.repeat(500))).toBe(false);
  });

  it('is shared by instances with the same secret', () => {
    expect(new DpopNonces({ secret, lifetime: 300 }).isValid(new DpopNonces({ secret, lifetime: 300 }).current())).toBe(true);
  });
});

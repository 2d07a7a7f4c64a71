/** When a token is due: the skew, capped at half the token's life. */
import { describe, expect, it } from 'vitest';
import { expiresWithin } from '../../src/tokens/expiry.ts';

const now = () => Math.floor(Date.now() / 1000);

describe('expiresWithin', () => {
  it('is due within the skew of its expiry', () => {
    expect(expiresWithin(now() + 30, now() - 3570, 60)).toBe(true);
    expect(expiresWithin(now() + 120, now() - 3480, 60)).toBe(false);
  });

  it('caps the skew at half the lifetime: a 30 s token is not due right after it was issued', () => {
    expect(expiresWithin(now() + 30, now(), 60)).toBe(false);
    expect(expiresWithin(now() + 14, now() - 16, 60)).toBe(true);
  });

  it('without an issue time uses the skew alone, and an expired token is always due', () => {
    expect(expiresWithin(now() + 30, undefined, 60)).toBe(true);
    expect(expiresWithin(now() - 1, now() - 100, 0)).toBe(true);
  });
});

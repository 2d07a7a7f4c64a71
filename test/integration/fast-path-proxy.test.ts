/**
 * The proxy suites (bff-proxy, token-refresh) again, with the Node-level fast
 * path (`bff.handle`) in front of the Koa app: both paths must answer alike.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mountFastPath } from '../../packages/bff/test/proxy/fast-path-mount.ts';

const mount = mountFastPath();
await import('./bff-proxy.test.ts');
await import('./token-refresh.test.ts');

describe('fast path', () => {
  it('took the proxied calls (not the Koa route)', () => {
    expect(mount.handled()).toBeGreaterThan(10);
  });
});
afterAll(() => mount.restore());

/**
 * The proxy security suites (host-header, client-address, exposure) again, with the Node-level fast
 * path (`bff.handle`) in front of the Koa app: both paths must answer alike.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mountFastPath } from '../../packages/bff/test/proxy/fast-path-mount.ts';

const mount = mountFastPath();
await import('../security/host-header.test.ts');
await import('../security/client-address.test.ts');
await import('../security/exposure.test.ts');

describe('fast path', () => {
  it('took the proxied calls (not the Koa route)', () => {
    expect(mount.handled()).toBeGreaterThan(10);
  });
});
afterAll(() => mount.restore());

/**
 * The proxy security suites (host-header, client-address, exposure) again, with the Node-level fast path (`bff.handle`) in front of
 * the Koa app: both paths must answer alike.
 */
import { onFastPath } from '../../packages/bff/test/proxy/fast-path-mount.ts';

await onFastPath(async () => {
  await import('../security/host-header.test.ts');
  await import('../security/client-address.test.ts');
  await import('../security/exposure.test.ts');
});

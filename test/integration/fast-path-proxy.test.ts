/**
 * The proxy suites (bff-proxy, token-refresh) again, with the Node-level fast path (`bff.handle`) in front of
 * the Koa app: both paths must answer alike.
 */
import { onFastPath } from '../../packages/bff/test/proxy/fast-path-mount.ts';

await onFastPath(async () => {
  await import('./bff-proxy.test.ts');
  await import('./token-refresh.test.ts');
});

/**
 * The proxy security suites (csrf, path-traversal, smuggling, size-limits) again, with the Node-level fast path (`bff.handle`) in front of
 * the Koa app: both paths must answer alike.
 */
import { onFastPath } from '../../packages/bff/test/proxy/fast-path-mount.ts';

await onFastPath(async () => {
  await import('../security/csrf.test.ts');
  await import('../security/path-traversal.test.ts');
  await import('../security/smuggling.test.ts');
  await import('../security/size-limits.test.ts');
});

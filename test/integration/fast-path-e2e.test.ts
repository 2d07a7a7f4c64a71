/**
 * The browser suites (demo SPA, login control, no tokens in the browser)
 * again, with the Node-level fast path (`bff.handle`) in front of the demo's
 * Koa app: the SPA's API calls take the fast path.
 */
import { onFastPath } from '../../packages/bff/test/proxy/fast-path-mount.ts';

await onFastPath(async () => {
  await import('../e2e/demo-spa.test.ts');
  await import('../e2e/login-control.test.ts');
  await import('../e2e/no-tokens-in-browser.test.ts');
}, 1);

import { cleanup, configure } from '@testing-library/react';
import { afterEach, vi } from 'vitest';

// Every render/renderHook runs under <StrictMode> at the root. (React 19 double-invokes
// effects only for a root-level StrictMode: one nested in a `wrapper` component does not.)
configure({ reactStrictMode: true });

afterEach(() => {
  cleanup(); // unmount (closes channels, clears timers) while stubs are still in place
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  window.history.replaceState(null, '', '/');
});

import { useAuthContext } from './AuthContext.js';
import type { FetchLike } from './types.js';

/**
 * A stable `fetch` for BFF routes (`credentials: 'include'`, `X-CSRF: 1`, caller headers kept).
 * A 401 answer turns the provider `anonymous`, tells other tabs and calls `onSessionExpired`.
 * The response is returned as is, except a 401 `step_up_required` (RFC 9470): that keeps the
 * session and rejects with `StepUpRequired` (`acrValues`, `maxAge` for `login()`).
 * @throws Error when used outside `<AuthProvider>`.
 */
export function useBffFetch(): FetchLike {
  return useAuthContext('useBffFetch').fetch;
}

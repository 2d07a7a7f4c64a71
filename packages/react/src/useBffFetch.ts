import { useAuthContext } from './AuthContext.js';
import type { FetchLike } from './types.js';

/**
 * A stable `fetch` for BFF routes (`credentials: 'include'`, `X-CSRF: 1`, caller headers kept).
 * A 401 answer turns the provider `anonymous`, tells other tabs and calls `onSessionExpired`.
 * The response is returned as is.
 * @throws Error when used outside `<AuthProvider>`.
 */
export function useBffFetch(): FetchLike {
  return useAuthContext('useBffFetch').fetch;
}

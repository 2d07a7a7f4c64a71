import { createContext, useContext } from 'react';
import type { AuthStatus, FetchLike, LoginOptions, SilentLoginError, UserClaims } from './types.js';

/** What {@link useAuth} returns. */
export interface AuthContextValue {
  /** `loading` until the first `/user` answer; re-checks keep the current status. */
  status: AuthStatus;
  /** `status === 'loading'`. */
  isLoading: boolean;
  /** `status === 'authenticated'`. */
  isAuthenticated: boolean;
  /** ID token claims of the signed-in user, or `null`. */
  user: UserClaims | null;
  /** Subject of the signed-in user, or `null`. */
  sub: string | null;
  /** Session end in unix seconds, or `null`. */
  expiresAt: number | null;
  /** Authentication context class of the login (`acr`), or `null`. */
  acr: string | null;
  /** Time of the user's last authentication at the provider in unix seconds, or `null`. */
  authTime: number | null;
  /** Why `/user` failed when `status === 'error'`, else `null`. */
  error: Error | null;
  /**
   * The silent-login error this page was loaded with (`?error=login_required` etc., which the
   * provider removes from the address bar on mount), else `undefined`.
   */
  loginError: SilentLoginError | undefined;
  /**
   * Navigates to `{bffPath}/login?returnTo=…` plus the given provider parameters (`prompt`,
   * `max_age`, `acr_values`, `login_hint`, `ui_locales`). A string is the `returnTo`.
   * `returnTo` defaults to the current path, search and hash.
   */
  login(options?: string | LoginOptions): void;
  /** Tells other tabs, then navigates to the session's `logoutUrl` (+ `&returnTo=`). No-op without a session. */
  logout(returnTo?: string): void;
  /** Re-reads `{bffPath}/user`; concurrent calls share one request. */
  refresh(): Promise<void>;
}

/** Internal: the public value plus the provider-bound fetch. */
export interface AuthContextInternal {
  auth: AuthContextValue;
  fetch: FetchLike;
  /** The provider's `bffPath`. */
  path: string;
}

/** Internal context; read it through {@link useAuth} or {@link useBffFetch}. */
export const AuthContext = createContext<AuthContextInternal | null>(null);

/** Internal: the context, or a clear error naming the hook used outside `<AuthProvider>`. */
export function useAuthContext(hook: string): AuthContextInternal {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error(`${hook} must be used inside <AuthProvider>`);
  return ctx;
}

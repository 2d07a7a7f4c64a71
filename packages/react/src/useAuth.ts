import { type AuthContextValue, useAuthContext } from './AuthContext.js';

/**
 * Session state and actions of the nearest `<AuthProvider>`.
 * @throws Error when used outside `<AuthProvider>`.
 */
export function useAuth(): AuthContextValue {
  return useAuthContext('useAuth').auth;
}

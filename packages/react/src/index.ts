export { AuthProvider, type AuthProviderProps } from './AuthProvider.js';
export { useAuth } from './useAuth.js';
export type { AuthContextValue } from './AuthContext.js';
export { useBffFetch } from './useBffFetch.js';
export { bffFetch, BffError } from './bffFetch.js';
export { RequireAuth, type RequireAuthProps } from './RequireAuth.js';
export { withAuthenticationRequired, type WithAuthenticationRequiredOptions } from './withAuthenticationRequired.js';
export type { AuthStatus, BffSession, FetchLike, UserClaims } from './types.js';

export { AuthProvider, type AuthProviderProps } from './AuthProvider.js';
export { useAuth } from './useAuth.js';
export type { AuthContextValue } from './AuthContext.js';
export { useBffFetch } from './useBffFetch.js';
export { bffFetch, BffError, StepUpRequired, type StepUpBody } from './bffFetch.js';
export { RequireAuth, type RequireAuthProps } from './RequireAuth.js';
export { withAuthenticationRequired, type WithAuthenticationRequiredOptions } from './withAuthenticationRequired.js';
export type { AuthStatus, BffSession, FetchLike, LoginOptions, SilentLoginError, UserClaims } from './types.js';

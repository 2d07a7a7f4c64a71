import { type ReactNode, useEffect, useRef } from 'react';
import { useAuth } from './useAuth.js';

/** Props of {@link RequireAuth}. */
export interface RequireAuthProps {
  /** Rendered while loading, while redirecting to login, and on error without `onError`. @defaultValue `null` */
  fallback?: ReactNode;
  /** Where the BFF returns after login. @defaultValue the current path, search and hash */
  returnTo?: string;
  /** Rendered instead of `fallback` when `/user` failed. */
  onError?: (error: Error) => ReactNode;
  children?: ReactNode;
}

/**
 * Renders `children` only with a session. When anonymous, starts the login redirect once
 * and renders `fallback`.
 */
export function RequireAuth({ fallback = null, returnTo, onError, children }: RequireAuthProps): ReactNode {
  const { status, error, login } = useAuth();
  const anonymous = status === 'anonymous';
  const started = useRef(false);
  useEffect(() => {
    if (!anonymous) started.current = false;
    else if (!started.current) {
      started.current = true;
      login(returnTo);
    }
  }, [anonymous, login, returnTo]);
  if (status === 'authenticated') return children;
  return error && onError ? onError(error) : fallback;
}

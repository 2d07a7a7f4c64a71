import type { ComponentType, FC } from 'react';
import { RequireAuth, type RequireAuthProps } from './RequireAuth.js';

/** Options of {@link withAuthenticationRequired}: the {@link RequireAuth} props. */
export type WithAuthenticationRequiredOptions = Omit<RequireAuthProps, 'children'>;

/** Wraps `Component` in {@link RequireAuth}: it renders only with a session. */
export function withAuthenticationRequired<P extends object>(Component: ComponentType<P>, options: WithAuthenticationRequiredOptions = {}): FC<P> {
  const Guarded: FC<P> = (props) => (
    <RequireAuth {...options}>
      <Component {...props} />
    </RequireAuth>
  );
  Guarded.displayName = `withAuthenticationRequired(${Component.displayName || Component.name || 'Component'})`;
  return Guarded;
}

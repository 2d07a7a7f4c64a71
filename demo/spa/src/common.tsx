import { useAuth, type UserClaims } from '@portcullis/react';
import { type ReactNode, useEffect } from 'react';

/** Sets the document title for the current page. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Portcullis demo`;
  }, [title]);
}

/** The best name to greet a user with. */
export function displayName(user: UserClaims | null, sub: string | null): string {
  return user?.name || user?.preferred_username || user?.email || sub || 'someone';
}

export function Loading({ children = 'Checking your session…' }: { children?: ReactNode }): ReactNode {
  return (
    <p className="muted" data-testid="loading" aria-busy="true">
      {children}
    </p>
  );
}

/** Shown when `/bff/user` failed (not a 401): the BFF or the network is down. */
export function SessionError({ error }: { error: Error }): ReactNode {
  const { refresh } = useAuth();
  return (
    <div className="notice error" role="alert" data-testid="session-error">
      <p>The session could not be checked: {error.message}</p>
      <button type="button" className="secondary" onClick={() => void refresh()}>
        Try again
      </button>
    </div>
  );
}

/** Turns a non-2xx BFF/API answer into an Error with its `error_description`. */
export async function readJson<T>(res: Response): Promise<T> {
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: string; error_description?: string } | null;
    throw new Error(body?.error_description || body?.error || `HTTP ${res.status}`);
  }
  return (res.status === 204 ? undefined : await res.json()) as T;
}

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

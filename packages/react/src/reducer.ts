import type { BffSession } from './types.js';

/** Internal state of `<AuthProvider>`: one variant per status. */
export type AuthState =
  | { status: 'loading'; session: null; error: null }
  | { status: 'authenticated'; session: BffSession; error: null }
  | { status: 'anonymous'; session: null; error: null }
  | { status: 'error'; session: null; error: Error };

/** What a look at the BFF session (or a 401) can tell the provider. */
export type AuthAction =
  | { type: 'session'; session: BffSession }
  | { type: 'anonymous' }
  | { type: 'error'; error: Error };

/** State before the first `/user` answer. */
export const initialState: AuthState = { status: 'loading', session: null, error: null };

/** Pure transition function. Re-checks never go back to `loading`, so guarded trees stay mounted. */
export function reducer(state: AuthState, action: AuthAction): AuthState {
  switch (action.type) {
    case 'session':
      return { status: 'authenticated', session: action.session, error: null };
    case 'anonymous':
      return state.status === 'anonymous' ? state : { status: 'anonymous', session: null, error: null };
    case 'error':
      return { status: 'error', session: null, error: action.error };
  }
}

import type { BffSession } from './types.js';

/** Internal state of `<AuthProvider>`: one variant per status. */
export type AuthState =
  | { status: 'loading' | 'anonymous'; session?: undefined; error?: undefined }
  | { status: 'authenticated'; session: BffSession; error?: undefined }
  | { status: 'error'; session?: undefined; error: Error };

/** State before the first `/user` answer. */
export const LOADING: AuthState = { status: 'loading' };

/** The one anonymous state: setting it again is a no-op (re-checks never go back to `loading`). */
export const ANONYMOUS: AuthState = { status: 'anonymous' };

/**
 * `@portcullis/react/sessions`: the signed-in user's BFF sessions (devices), apart from the
 * core entry point so that apps without a sessions page do not ship it.
 * @packageDocumentation
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useAuthContext } from './AuthContext.js';
import { readBody } from './bffFetch.js';

/** One session of the signed-in user, as `GET {bffPath}/sessions` lists it. */
export interface SessionInfo {
  /** Opaque id, for {@link UseSessionsResult.end}. */
  id: string;
  /** `true` for the session of this browser. */
  current: boolean;
  /** Login time, in unix seconds. */
  createdAt: number;
  /** Last request, in unix seconds. */
  lastSeenAt: number;
  /** `User-Agent` of the browser that logged in, or `null`. */
  userAgent: string | null;
}

/** What {@link useSessions} returns. */
export interface UseSessionsResult {
  /** The sessions of the last successful load (`[]` before it). */
  sessions: SessionInfo[];
  /** `true` while the list loads. */
  loading: boolean;
  /** Why the last load failed (a `BffError` for an error answer), else `null`. */
  error: Error | null;
  /** Loads the list again. Never rejects: a failure lands in `error`. */
  reload(): Promise<void>;
  /** Ends one session (`DELETE {bffPath}/sessions/{id}`), then reloads. Rejects with a `BffError` if the BFF refused. */
  end(id: string): Promise<void>;
  /** Ends every session of the user but this one (`DELETE {bffPath}/sessions`), then reloads. Rejects like `end`. */
  endOthers(): Promise<void>;
}

interface State {
  sessions: SessionInfo[];
  loading: boolean;
  error: Error | null;
}

/**
 * The signed-in user's sessions, loaded on mount, with actions to end them. Use it in an
 * authenticated tree (e.g. under `<RequireAuth>`): its calls go through {@link useBffFetch},
 * so a 401 turns the provider anonymous.
 * @throws Error when used outside `<AuthProvider>`.
 */
export function useSessions(): UseSessionsResult {
  const { fetch, path } = useAuthContext('useSessions');
  const [state, setState] = useState<State>({ sessions: [], loading: true, error: null });
  const started = useRef<unknown>(undefined);

  // A BffError for an error answer; `null` for a 204.
  const call = useCallback(async (method?: string, id?: string) => readBody(await fetch(path + '/sessions' + (id == null ? '' : '/' + encodeURIComponent(id)), { method })), [fetch, path]);

  const reload = useCallback(async () => {
    setState((s) => ({ ...s, loading: true }));
    const next = await call().then(
      (sessions) => ({ sessions: sessions as SessionInfo[], error: null }),
      (error: Error) => ({ error }),
    );
    setState((s) => ({ ...s, ...next, loading: false }));
  }, [call]);

  // Once per mount, also under StrictMode (its second effect run sees the same `reload`).
  useEffect(() => {
    if (started.current !== reload) void reload();
    started.current = reload;
  }, [reload]);

  const end = useCallback((id?: string) => call('DELETE', id).finally(reload) as Promise<void>, [call, reload]);
  return { ...state, reload, end, endOthers: useCallback(() => end(), [end]) };
}

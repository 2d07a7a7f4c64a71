import { type ReactNode, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { AuthContext, type AuthContextValue } from './AuthContext.js';
import { callBff, fetchSession } from './bffFetch.js';
import { type AuthChannel, openChannel } from './channel.js';
import { nav } from './navigate.js';
import { ANONYMOUS, type AuthState, LOADING } from './state.js';
import type { FetchLike, LoginOptions, SilentLoginError } from './types.js';

/**
 * Where login returns to by default: the current location, or just its path when the query or
 * hash would break the BFF's returnTo rule (`//`, a backslash, an encoded control character).
 */
const fits = (p: string) => !/\/\/|\\|%[01][0-9a-f]|%7f/i.test(p);
const here = (path: string, rest: string): string => (fits(path + rest) ? path + rest : fits(path) ? path : '/');
const enc = encodeURIComponent;
/** `login()` options forwarded to the BFF, sent snake_cased (`maxAge` → `max_age`). */
const PARAMS = { prompt: 'prompt', maxAge: 'max_age', acrValues: 'acr_values', loginHint: 'login_hint', uiLocales: 'ui_locales' } as const;
/** The `error` codes of a silent login (`prompt=none`) that the BFF sends back to `returnTo`. */
const SILENT = /^(login|consent|interaction|account_selection)_required$/;

/** Props of {@link AuthProvider}. */
export interface AuthProviderProps {
  /** Path prefix of the BFF routes. @defaultValue `'/bff'` */
  bffPath?: string;
  /**
   * Called when a BFF call answers 401 in this tab, e.g. `() => login()`. Not for a 401
   * `step_up_required`: that keeps the session and rejects the call with `StepUpRequired`.
   */
  onSessionExpired?: () => void;
  /** `fetch` implementation for `/user` and {@link useBffFetch}. @defaultValue the global `fetch` */
  fetch?: FetchLike;
  /** Re-check `/user` on return to a page hidden (or blurred) longer than this. @defaultValue `60000` */
  recheckAfterHiddenMs?: number;
  children?: ReactNode;
}

const MAX_DELAY = 2 ** 31 - 1;

/**
 * Loads the BFF session once on mount (one request, also under StrictMode), keeps it current
 * (at `expiresAt`, on return to a long-hidden page, on other tabs' login/logout) and serves it
 * to {@link useAuth}, {@link useBffFetch} and {@link RequireAuth}.
 */
export function AuthProvider(props: AuthProviderProps): ReactNode {
  const { bffPath = '/bff', recheckAfterHiddenMs = 60_000 } = props;
  const cfg = useRef(props);
  cfg.current = props;
  const [state, setState] = useState<AuthState>(LOADING);
  const current = useRef(state);
  current.current = state;
  const inflight = useRef<Promise<void> | undefined>(undefined);
  const seq = useRef(0);
  const channel = useRef<AuthChannel | undefined>(undefined);
  // The answer of a silent login (the BFF redirects back with `?error=login_required` etc.),
  // taken off the address bar (other parameters kept) so that a reload does not repeat it.
  const [loginError, setLoginError] = useState<SilentLoginError>();
  useEffect(() => {
    const u = new URL(location.href);
    const e = u.searchParams.get('error') as SilentLoginError;
    if (SILENT.test(e)) {
      setLoginError(e);
      u.searchParams.delete('error');
      history.replaceState(history.state, '', u);
    }
  }, []);

  // One request at a time per provider; StrictMode's second effect run joins the first.
  const load = useCallback((): Promise<void> => {
    if (!inflight.current) {
      const id = ++seq.current;
      inflight.current = fetchSession(bffPath, cfg.current.fetch).then((next) => {
        if (id !== seq.current) return; // superseded by a 401 or another tab's logout
        inflight.current = undefined;
        setState(next);
      });
    }
    return inflight.current;
  }, [bffPath]);

  const drop = useCallback((expired: boolean) => {
    if (current.current === ANONYMOUS) return;
    current.current = ANONYMOUS;
    seq.current++;
    inflight.current = undefined;
    setState(ANONYMOUS);
    if (expired) {
      channel.current?.post('logout');
      cfg.current.onSessionExpired?.();
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  // Cross-tab: another tab's logout ends this tab's session at once (no re-check: it could
  // race the logout navigation); its login makes this tab re-check.
  useEffect(() => {
    const ch = (channel.current = openChannel((type) => (type === 'logout' ? drop(false) : void load())));
    return () => ch.close();
  }, [load, drop]);

  const status = state.status;
  const last = useRef(status);
  useEffect(() => {
    if (status === 'authenticated' && last.current !== 'authenticated') channel.current?.post('login');
    last.current = status;
  }, [status]);

  const expiresAt = state.session?.expiresAt;
  useEffect(() => {
    if (expiresAt == null) return;
    let timer: ReturnType<typeof setTimeout>;
    const arm = () => {
      const ms = expiresAt * 1000 - Date.now();
      timer = setTimeout(ms > MAX_DELAY ? arm : load, Math.min(ms, MAX_DELAY)); // a negative delay is 0
    };
    arm();
    return () => clearTimeout(timer);
  }, [expiresAt, load]);

  useEffect(() => {
    let hiddenAt = 0;
    const onChange = (e: Event) => {
      if (e.type === 'blur' || document.hidden) {
        hiddenAt ||= Date.now();
      } else {
        if (hiddenAt && Date.now() - hiddenAt > recheckAfterHiddenMs) void load();
        hiddenAt = 0;
      }
    };
    const all = (f: 'addEventListener' | 'removeEventListener') => {
      document[f]('visibilitychange', onChange);
      window[f]('focus', onChange);
      window[f]('blur', onChange);
    };
    all('addEventListener');
    return () => all('removeEventListener');
  }, [load, recheckAfterHiddenMs]);

  const login = useCallback(
    (options?: string | LoginOptions) => {
      const o: LoginOptions = typeof options == 'object' ? options : { returnTo: options };
      const l = window.location;
      let url = `${bffPath}/login?returnTo=${enc(o.returnTo ?? here(l.pathname, l.search + l.hash))}`;
      let k: keyof typeof PARAMS;
      for (k in PARAMS) if (o[k] != null) url += `&${PARAMS[k]}=${enc(o[k]!)}`;
      nav.go(url);
    },
    [bffPath],
  );

  // Stays `authenticated` until the page unloads: going anonymous here would let
  // <RequireAuth> start a login navigation over the logout one.
  const logout = useCallback((returnTo?: string) => {
    const url = current.current.session?.logoutUrl;
    if (!url) return;
    channel.current?.post('logout');
    nav.go(returnTo ? `${url}${url.includes('?') ? '&' : '?'}returnTo=${enc(returnTo)}` : url);
  }, []);

  const apiFetch = useCallback<FetchLike>(
    async (input, init) => {
      const res = await callBff(cfg.current.fetch, input, init);
      if (res.status === 401) drop(true);
      return res;
    },
    [drop],
  );

  const value = useMemo(() => {
    const s = state.session;
    const auth: AuthContextValue = {
      status,
      isLoading: status === 'loading',
      isAuthenticated: status === 'authenticated',
      user: s?.claims ?? null,
      sub: s?.sub ?? null,
      expiresAt: s?.expiresAt ?? null,
      acr: s?.acr ?? null,
      authTime: s?.authTime ?? null,
      error: state.error ?? null,
      loginError,
      login,
      logout,
      refresh: load,
    };
    return { auth, fetch: apiFetch, path: bffPath };
  }, [state, status, loginError, login, logout, load, apiFetch, bffPath]);

  return <AuthContext.Provider value={value}>{props.children}</AuthContext.Provider>;
}

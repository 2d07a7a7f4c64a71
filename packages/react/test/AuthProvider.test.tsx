import { act, render, renderHook, screen, waitFor } from '@testing-library/react';
import { useEffect } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { AuthProvider } from '../src/AuthProvider.js';
import { BffError } from '../src/bffFetch.js';
import { useAuth } from '../src/useAuth.js';
import { deferred, json, NOW, providerWrapper, session, stubFetch, unauthenticated, urls } from './helpers.js';

const renderAuth = (props: Parameters<typeof providerWrapper>[0] = {}) => renderHook(() => useAuth(), { wrapper: providerWrapper(props) });

/** Flushes resolved fetches and React updates under fake timers. */
const flush = () => act(() => vi.advanceTimersByTimeAsync(0));

describe('AuthProvider', () => {
  it('loading → authenticated', async () => {
    const s = session();
    const pending = deferred<Response>();
    stubFetch(() => pending.promise);
    const { result } = renderAuth();
    expect(result.current).toMatchObject({ status: 'loading', isLoading: true, isAuthenticated: false, user: null, sub: null, expiresAt: null, error: null });
    pending.resolve(json(200, s));
    await waitFor(() => expect(result.current.status).toBe('authenticated'));
    expect(result.current).toMatchObject({ isLoading: false, isAuthenticated: true, user: s.claims, sub: 'alice', expiresAt: s.expiresAt, error: null });
  });

  it('loading → anonymous on 401', async () => {
    stubFetch(unauthenticated);
    const { result } = renderAuth();
    await waitFor(() => expect(result.current.status).toBe('anonymous'));
    expect(result.current).toMatchObject({ isLoading: false, isAuthenticated: false, user: null, error: null });
  });

  it.each([
    ['a 500', () => json(500, { error: 'server_error', error_description: 'upstream down' }), 'upstream down'],
    ['a network failure', () => Promise.reject(new TypeError('Failed to fetch')), 'Failed to fetch'],
    ['invalid JSON', () => new Response('oops', { status: 200 }), 'invalid_response'],
  ])('loading → error on %s', async (_, responder, message) => {
    stubFetch(responder);
    const { result } = renderAuth();
    await waitFor(() => expect(result.current.status).toBe('error'));
    expect(result.current.error?.message).toBe(message);
    expect(result.current).toMatchObject({ isLoading: false, isAuthenticated: false, user: null });
  });

  it('sends exactly one /user request under StrictMode, with credentials and X-CSRF', async () => {
    const fetch = stubFetch(() => json(200, session()));
    let mounts = 0;
    const { result } = renderHook(() => (useEffect(() => void mounts++, []), useAuth()), { wrapper: providerWrapper() });
    expect(mounts).toBe(2); // StrictMode's mount → unmount → mount did happen
    await waitFor(() => expect(result.current.status).toBe('authenticated'));
    await act(() => new Promise((r) => setTimeout(r, 20)));
    expect(urls(fetch)).toEqual(['/bff/user']);
    const init = fetch.mock.calls[0]![1]!;
    expect(init.credentials).toBe('include');
    expect(new Headers(init.headers).get('X-CSRF')).toBe('1');
  });

  it('a remount is a new provider and loads again', async () => {
    const fetch = stubFetch(() => json(200, session()));
    const ui = <AuthProvider>x</AuthProvider>;
    const first = render(ui);
    first.unmount();
    render(ui);
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(2));
  });

  it('uses bffPath and the fetch prop', async () => {
    const own = vi.fn(async () => json(200, session()));
    const global = stubFetch(unauthenticated);
    const { result } = renderAuth({ bffPath: '/auth', fetch: own });
    await waitFor(() => expect(result.current.status).toBe('authenticated'));
    expect(own).toHaveBeenCalledWith('/auth/user', expect.objectContaining({ credentials: 'include' }));
    expect(global).not.toHaveBeenCalled();
  });

  it('refresh() re-reads /user, shares an in-flight request and never shows loading again', async () => {
    const fetch = stubFetch(
      () => json(200, session()),
      () => json(200, session({ sub: 'bob' })),
      unauthenticated,
    );
    const { result } = renderAuth();
    await waitFor(() => expect(result.current.sub).toBe('alice'));
    let a!: Promise<void>, b!: Promise<void>;
    act(() => {
      a = result.current.refresh();
      b = result.current.refresh();
    });
    expect(a).toBe(b);
    expect(result.current.status).toBe('authenticated');
    await act(() => a);
    expect(result.current.sub).toBe('bob');
    await act(() => result.current.refresh());
    expect(result.current.status).toBe('anonymous');
    expect(urls(fetch)).toEqual(['/bff/user', '/bff/user', '/bff/user']);
  });

  it('refresh() after an error can recover', async () => {
    stubFetch(
      () => json(503, { error: 'unavailable' }),
      () => json(200, session()),
    );
    const { result } = renderAuth();
    await waitFor(() => expect(result.current.status).toBe('error'));
    expect(result.current.error).toBeInstanceOf(BffError);
    await act(() => result.current.refresh());
    expect(result.current).toMatchObject({ status: 'authenticated', error: null });
  });

  it('renders its children', () => {
    stubFetch(unauthenticated);
    render(<AuthProvider>hello</AuthProvider>);
    expect(screen.getByText('hello')).toBeTruthy();
  });
});

describe('AuthProvider: expiresAt re-check', () => {
  it('re-checks /user at expiresAt and goes anonymous when the session is gone', async () => {
    vi.useFakeTimers({ now: NOW });
    const fetch = stubFetch(() => json(200, session({ expiresAt: NOW / 1000 + 100 })), unauthenticated);
    const { result } = renderAuth();
    await flush();
    expect(result.current.status).toBe('authenticated');
    await act(() => vi.advanceTimersByTimeAsync(99_999));
    expect(fetch).toHaveBeenCalledTimes(1);
    await act(() => vi.advanceTimersByTimeAsync(1));
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(result.current.status).toBe('anonymous');
  });

  it('re-arms for a new expiresAt (sliding session) and not for an unchanged one', async () => {
    vi.useFakeTimers({ now: NOW });
    const fetch = stubFetch(
      () => json(200, session({ expiresAt: NOW / 1000 + 10 })),
      () => json(200, session({ expiresAt: NOW / 1000 + 20 })),
    );
    renderAuth();
    await flush();
    await act(() => vi.advanceTimersByTimeAsync(10_000));
    expect(fetch).toHaveBeenCalledTimes(2);
    await act(() => vi.advanceTimersByTimeAsync(10_000));
    expect(fetch).toHaveBeenCalledTimes(3);
    await act(() => vi.advanceTimersByTimeAsync(3_600_000)); // same expiresAt answered: no busy loop
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it('clamps delays to 2^31-1 ms and still fires at a far expiresAt', async () => {
    vi.useFakeTimers({ now: NOW });
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const far = 40 * 24 * 3600; // 40 days: beyond setTimeout's 24.8-day limit
    const fetch = stubFetch(() => json(200, session({ expiresAt: NOW / 1000 + far })), unauthenticated);
    const { result } = renderAuth();
    await flush();
    for (const [, ms] of spy.mock.calls) expect(ms ?? 0).toBeLessThanOrEqual(2 ** 31 - 1);
    await act(() => vi.advanceTimersByTimeAsync(2 ** 31 - 1));
    expect(fetch).toHaveBeenCalledTimes(1);
    await act(() => vi.advanceTimersByTimeAsync(far * 1000 - (2 ** 31 - 1)));
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(result.current.status).toBe('anonymous');
  });

  it('clears the timer on unmount', async () => {
    vi.useFakeTimers({ now: NOW });
    const fetch = stubFetch(() => json(200, session({ expiresAt: NOW / 1000 + 100 })));
    const { unmount } = renderAuth();
    await flush();
    unmount();
    await vi.advanceTimersByTimeAsync(200_000);
    expect(fetch).toHaveBeenCalledTimes(1);
  });
});

describe('AuthProvider: visibility re-check', () => {
  let hidden = false;
  const setHidden = (value: boolean) => {
    hidden = value;
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
    document.dispatchEvent(new Event('visibilitychange'));
  };

  it('re-checks when the page comes back after more than recheckAfterHiddenMs hidden', async () => {
    vi.useFakeTimers({ now: NOW });
    const fetch = stubFetch(() => json(200, session()), unauthenticated);
    const { result } = renderAuth();
    await flush();
    act(() => setHidden(true));
    vi.setSystemTime(NOW + 30_000);
    act(() => setHidden(false)); // 30 s: no re-check
    expect(fetch).toHaveBeenCalledTimes(1);
    act(() => setHidden(true));
    vi.setSystemTime(NOW + 30_000 + 60_001);
    act(() => setHidden(false));
    await flush();
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(result.current.status).toBe('anonymous');
  });

  it('also counts a blurred window, re-checks on focus once, and honours recheckAfterHiddenMs', async () => {
    vi.useFakeTimers({ now: NOW });
    const fetch = stubFetch(() => json(200, session()));
    renderAuth({ recheckAfterHiddenMs: 5_000 });
    await flush();
    act(() => {
      window.dispatchEvent(new Event('blur'));
    });
    vi.setSystemTime(NOW + 5_001);
    act(() => {
      window.dispatchEvent(new Event('focus'));
      window.dispatchEvent(new Event('focus'));
    });
    await flush();
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('removes its listeners on unmount', async () => {
    vi.useFakeTimers({ now: NOW });
    const fetch = stubFetch(() => json(200, session()));
    const { unmount } = renderAuth();
    await flush();
    unmount();
    setHidden(true);
    vi.setSystemTime(NOW + 120_000);
    setHidden(false);
    expect(fetch).toHaveBeenCalledTimes(1);
  });
});

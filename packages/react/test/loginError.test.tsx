import { act, render, renderHook, waitFor } from '@testing-library/react';
import { type ReactNode, useEffect } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { AuthProvider } from '../src/AuthProvider.js';
import { useAuth } from '../src/useAuth.js';
import { json, providerWrapper, session, stubFetch, stubNav, unauthenticated } from './helpers.js';

const renderAuth = () => renderHook(() => useAuth(), { wrapper: providerWrapper() });
const address = () => location.pathname + location.search + location.hash;

describe('useAuth().loginError', () => {
  it.each(['login_required', 'consent_required', 'interaction_required', 'account_selection_required'])(
    'exposes ?error=%s and removes it from the address bar, keeping the other parameters, the hash and history.state',
    async (code) => {
      stubFetch(unauthenticated);
      window.history.replaceState({ app: 1 }, '', `/todos?tab=2&error=${code}&q=a%20b#list`);
      const replace = vi.spyOn(window.history, 'replaceState');
      const { result } = renderAuth();
      await waitFor(() => expect(result.current.status).toBe('anonymous'));
      expect(result.current.loginError).toBe(code);
      expect(new URL(location.href).searchParams.has('error')).toBe(false);
      expect(Object.fromEntries(new URL(location.href).searchParams)).toEqual({ tab: '2', q: 'a b' });
      expect(location.pathname + location.hash).toBe('/todos#list');
      expect(history.state).toEqual({ app: 1 });
      expect(replace).toHaveBeenCalledTimes(1); // StrictMode's second effect run finds nothing left to remove
    },
  );

  it('leaves an address with only the error as the bare path', async () => {
    stubFetch(unauthenticated);
    window.history.replaceState(null, '', '/?error=login_required');
    const { result } = renderAuth();
    await waitFor(() => expect(result.current.loginError).toBe('login_required'));
    expect(address()).toBe('/');
  });

  it.each([
    ['no error parameter', '/todos?tab=2'],
    ['another error code (the app owns it)', '/todos?error=access_denied'],
    ['a code that only looks similar', '/todos?error=xlogin_required'],
    ['a silent-login code under another name', '/todos?reason=login_required'],
  ])('is undefined with %s, and the address is left alone', async (_, url) => {
    stubFetch(unauthenticated);
    window.history.replaceState(null, '', url);
    const replace = vi.spyOn(window.history, 'replaceState');
    const { result } = renderAuth();
    await waitFor(() => expect(result.current.status).toBe('anonymous'));
    expect(result.current.loginError).toBeUndefined();
    expect(address()).toBe(url);
    expect(replace).not.toHaveBeenCalled();
  });

  it('stays set across re-checks and does not prevent a session', async () => {
    stubFetch(() => json(200, session()));
    window.history.replaceState(null, '', '/?error=consent_required');
    const { result } = renderAuth();
    await waitFor(() => expect(result.current.status).toBe('authenticated'));
    await act(() => result.current.refresh());
    expect(result.current.loginError).toBe('consent_required');
  });
});

/** The README's "try silent login once" component. */
function SilentLogin(): ReactNode {
  const { status, loginError, login } = useAuth();
  useEffect(() => {
    if (status !== 'anonymous' || loginError || sessionStorage.getItem('silent-login-tried')) return;
    sessionStorage.setItem('silent-login-tried', '1');
    login({ prompt: 'none' });
  }, [status, loginError, login]);
  return null;
}

describe('try silent login once (README pattern)', () => {
  const mount = () =>
    render(
      <AuthProvider>
        <SilentLogin />
      </AuthProvider>,
    );

  it('anonymous on first visit: one prompt=none navigation (StrictMode too) back to the current page', async () => {
    sessionStorage.clear();
    stubFetch(unauthenticated);
    const go = stubNav();
    window.history.replaceState(null, '', '/todos?tab=2');
    mount();
    await waitFor(() => expect(go).toHaveBeenCalled());
    await act(() => new Promise((r) => setTimeout(r, 10)));
    expect(go).toHaveBeenCalledExactlyOnceWith('/bff/login?returnTo=' + encodeURIComponent('/todos?tab=2') + '&prompt=none');
  });

  it('back with error=login_required: no second attempt, even with the sessionStorage flag cleared', async () => {
    sessionStorage.clear();
    stubFetch(unauthenticated);
    const go = stubNav();
    window.history.replaceState(null, '', '/todos?tab=2&error=login_required');
    mount();
    await act(() => new Promise((r) => setTimeout(r, 20)));
    expect(go).not.toHaveBeenCalled();
    expect(address()).toBe('/todos?tab=2');
  });

  it('back without an error code (e.g. the provider failed otherwise): the flag stops a loop', async () => {
    sessionStorage.setItem('silent-login-tried', '1');
    stubFetch(unauthenticated);
    const go = stubNav();
    mount();
    await act(() => new Promise((r) => setTimeout(r, 20)));
    expect(go).not.toHaveBeenCalled();
    sessionStorage.clear();
  });

  it('with a session: no navigation', async () => {
    sessionStorage.clear();
    stubFetch(() => json(200, session()));
    const go = stubNav();
    mount();
    await act(() => new Promise((r) => setTimeout(r, 20)));
    expect(go).not.toHaveBeenCalled();
  });
});

import { act, renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { CHANNEL_NAME } from '../src/channel.js';
import { useAuth } from '../src/useAuth.js';
import { json, providerWrapper, session, stubFetch, stubNav, unauthenticated } from './helpers.js';

const renderAuth = (props: Parameters<typeof providerWrapper>[0] = {}) => renderHook(() => useAuth(), { wrapper: providerWrapper(props) });

describe('useAuth', () => {
  it('throws a clear error outside <AuthProvider>', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(() => renderHook(() => useAuth())).toThrow('useAuth must be used inside <AuthProvider>');
  });

  it('keeps login/logout/refresh stable across re-checks', async () => {
    stubFetch(() => json(200, session()));
    const { result } = renderAuth();
    await waitFor(() => expect(result.current.status).toBe('authenticated'));
    const { login, logout, refresh } = result.current;
    await act(() => result.current.refresh());
    expect(result.current.login).toBe(login);
    expect(result.current.logout).toBe(logout);
    expect(result.current.refresh).toBe(refresh);
  });
});

describe('login()', () => {
  it('navigates to {bffPath}/login with the current path, search and hash by default', async () => {
    stubFetch(unauthenticated);
    const go = stubNav();
    window.history.replaceState(null, '', '/todos/7?filter=open&x=a b#top');
    const { result } = renderAuth();
    await waitFor(() => expect(result.current.status).toBe('anonymous'));
    act(() => result.current.login());
    expect(go).toHaveBeenCalledExactlyOnceWith('/bff/login?returnTo=' + encodeURIComponent('/todos/7?filter=open&x=a%20b#top'));
  });

  it.each([
    ['/share?url=https://example.com/a', '/share'],
    ['/todos#/tab//2', '/todos'],
    ['/notes?text=line1%0Aline2', '/notes'],
    ['/files//x?y=1', '/'],
  ])('falls back to the path when %s would break the returnTo rule', async (location, expected) => {
    stubFetch(unauthenticated);
    const go = stubNav();
    window.history.replaceState(null, '', location);
    const { result } = renderAuth();
    await waitFor(() => expect(result.current.status).toBe('anonymous'));
    act(() => result.current.login());
    expect(go).toHaveBeenCalledExactlyOnceWith('/bff/login?returnTo=' + encodeURIComponent(expected));
  });

  it('uses the given returnTo and bffPath', async () => {
    stubFetch(unauthenticated);
    const go = stubNav();
    const { result } = renderAuth({ bffPath: '/auth' });
    act(() => result.current.login('/after?x=1&y=2'));
    expect(go).toHaveBeenCalledExactlyOnceWith('/auth/login?returnTo=%2Fafter%3Fx%3D1%26y%3D2');
  });

  it('defaults to window.location.assign', async () => {
    stubFetch(unauthenticated);
    const { result } = renderAuth();
    // jsdom does not navigate; it reports "Not implemented: navigation" on its virtual console.
    const assign = vi.fn();
    vi.spyOn(window, 'location', 'get').mockReturnValue({ ...window.location, pathname: '/p', search: '', hash: '', assign } as Location);
    act(() => result.current.login());
    expect(assign).toHaveBeenCalledWith('/bff/login?returnTo=%2Fp');
  });
});

describe('login(options)', () => {
  const loginUrl = async (options: Parameters<ReturnType<typeof useAuth>['login']>[0], location = '/') => {
    stubFetch(unauthenticated);
    const go = stubNav();
    window.history.replaceState(null, '', location);
    const { result } = renderAuth();
    await waitFor(() => expect(result.current.status).toBe('anonymous'));
    act(() => result.current.login(options));
    expect(go).toHaveBeenCalledTimes(1);
    return go.mock.calls[0]![0];
  };

  it('sends every provider parameter under its OpenID Connect name, encoded', async () => {
    const url = await loginUrl({
      returnTo: '/todos?x=1',
      prompt: 'login',
      maxAge: 300,
      acrValues: 'urn:portcullis:mfa urn:other',
      loginHint: 'alice+test@example.com',
      uiLocales: 'fr-CA en',
    });
    expect(url).toBe('/bff/login?returnTo=%2Ftodos%3Fx%3D1&prompt=login&max_age=300&acr_values=urn%3Aportcullis%3Amfa%20urn%3Aother' + '&login_hint=alice%2Btest%40example.com&ui_locales=fr-CA%20en');
    const query = new URL(url, 'http://localhost').searchParams;
    expect(Object.fromEntries(query)).toEqual({
      returnTo: '/todos?x=1',
      prompt: 'login',
      max_age: '300',
      acr_values: 'urn:portcullis:mfa urn:other',
      login_hint: 'alice+test@example.com',
      ui_locales: 'fr-CA en',
    });
  });

  it('defaults returnTo to the current location and sends only the options given (max_age=0 included)', async () => {
    expect(await loginUrl({ prompt: 'none' }, '/todos?tab=2#top')).toBe('/bff/login?returnTo=' + encodeURIComponent('/todos?tab=2#top') + '&prompt=none');
    vi.restoreAllMocks();
    expect(await loginUrl({ maxAge: 0, loginHint: undefined, acrValues: undefined })).toBe('/bff/login?returnTo=%2F&max_age=0');
    vi.restoreAllMocks();
    expect(await loginUrl({})).toBe('/bff/login?returnTo=%2F');
  });

  it('keeps the returnTo fallback of login() for options without returnTo', async () => {
    expect(await loginUrl({ prompt: 'none' }, '/share?url=https://example.com/a')).toBe('/bff/login?returnTo=%2Fshare&prompt=none');
  });

  it('ignores keys that are not login options (a StepUpRequired passed as is sends only its acr_values and max_age)', async () => {
    const options = { acrValues: 'urn:portcullis:mfa', status: 401, code: 'step_up_required', name: 'StepUpRequired' };
    expect(await loginUrl(options)).toBe('/bff/login?returnTo=%2F&acr_values=urn%3Aportcullis%3Amfa');
  });
});

describe('acr and authTime', () => {
  it('come from /user when present, else null', async () => {
    stubFetch(
      () => json(200, { ...session(), acr: 'urn:portcullis:mfa', authTime: 1_900_000_000 }),
      () => json(200, session()),
    );
    const { result } = renderAuth();
    await waitFor(() => expect(result.current.status).toBe('authenticated'));
    expect(result.current).toMatchObject({ acr: 'urn:portcullis:mfa', authTime: 1_900_000_000 });
    await act(() => result.current.refresh());
    expect(result.current).toMatchObject({ status: 'authenticated', acr: null, authTime: null });
  });
});

describe('logout()', () => {
  it("navigates to the session's logoutUrl, appending returnTo, and tells other tabs first", async () => {
    stubFetch(() => json(200, session({ logoutUrl: '/bff/logout?sid=abc' })));
    const go = stubNav();
    const other = new BroadcastChannel(CHANNEL_NAME);
    const messages: unknown[] = [];
    other.onmessage = (e) => messages.push(e.data);
    try {
      const { result } = renderAuth();
      await waitFor(() => expect(result.current.status).toBe('authenticated'));
      await waitFor(() => expect(messages).toEqual([{ type: 'login' }]));
      act(() => result.current.logout('/bye?a=1'));
      expect(go).toHaveBeenCalledExactlyOnceWith('/bff/logout?sid=abc&returnTo=%2Fbye%3Fa%3D1');
      await waitFor(() => expect(messages).toEqual([{ type: 'login' }, { type: 'logout' }]));
      // stays authenticated: going anonymous would race the navigation with a login redirect
      expect(result.current.status).toBe('authenticated');
    } finally {
      other.close();
    }
  });

  it('navigates to logoutUrl as is without returnTo, and uses "?" when logoutUrl has no query', async () => {
    stubFetch(() => json(200, session({ logoutUrl: '/bff/logout' })));
    const go = stubNav();
    const { result } = renderAuth();
    await waitFor(() => expect(result.current.status).toBe('authenticated'));
    act(() => result.current.logout());
    act(() => result.current.logout('/'));
    expect(go.mock.calls).toEqual([['/bff/logout'], ['/bff/logout?returnTo=%2F']]);
  });

  it('does nothing without a session (anonymous, loading or error)', async () => {
    stubFetch(unauthenticated);
    const go = stubNav();
    const { result } = renderAuth();
    act(() => result.current.logout('/x')); // loading
    await waitFor(() => expect(result.current.status).toBe('anonymous'));
    act(() => result.current.logout('/x'));
    expect(go).not.toHaveBeenCalled();
  });
});

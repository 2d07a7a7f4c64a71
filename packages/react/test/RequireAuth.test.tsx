import { act, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { AuthProvider } from '../src/AuthProvider.js';
import { RequireAuth, type RequireAuthProps } from '../src/RequireAuth.js';
import { useAuth } from '../src/useAuth.js';
import { deferred, json, session, stubFetch, stubNav, unauthenticated } from './helpers.js';

function Secret() {
  return <p>secret of {useAuth().user?.name}</p>;
}

const ui = (props: Omit<RequireAuthProps, 'children'> = { fallback: <p>wait</p> }) => (
  <AuthProvider>
    <RequireAuth {...props}>
      <Secret />
    </RequireAuth>
  </AuthProvider>
);

describe('RequireAuth', () => {
  it('renders the fallback while loading, then the children when authenticated', async () => {
    const pending = deferred<Response>();
    stubFetch(() => pending.promise);
    const go = stubNav();
    render(ui());
    expect(screen.getByText('wait')).toBeTruthy();
    expect(screen.queryByText(/secret/)).toBeNull();
    await act(async () => pending.resolve(json(200, session())));
    expect(await screen.findByText('secret of Alice')).toBeTruthy();
    expect(screen.queryByText('wait')).toBeNull();
    expect(go).not.toHaveBeenCalled();
  });

  it('when anonymous, redirects to login once (StrictMode) with the current location and shows the fallback', async () => {
    stubFetch(unauthenticated);
    const go = stubNav();
    window.history.replaceState(null, '', '/todos?tab=mine#list');
    render(ui());
    await waitFor(() => expect(go).toHaveBeenCalled());
    await act(() => new Promise((r) => setTimeout(r, 10)));
    expect(go).toHaveBeenCalledExactlyOnceWith('/bff/login?returnTo=' + encodeURIComponent('/todos?tab=mine#list'));
    expect(screen.getByText('wait')).toBeTruthy();
  });

  it('mounted when the provider already knows it is anonymous, redirects once despite StrictMode', async () => {
    stubFetch(unauthenticated);
    const go = stubNav();
    let auth!: ReturnType<typeof useAuth>;
    function Page({ guarded }: { guarded: boolean }) {
      auth = useAuth();
      return guarded ? <RequireAuth fallback="wait">secret</RequireAuth> : null;
    }
    const { rerender } = render(
      <AuthProvider>
        <Page guarded={false} />
      </AuthProvider>,
    );
    await waitFor(() => expect(auth.status).toBe('anonymous'));
    rerender(
      <AuthProvider>
        <Page guarded />
      </AuthProvider>,
    );
    await act(() => new Promise((r) => setTimeout(r, 10)));
    expect(go).toHaveBeenCalledExactlyOnceWith('/bff/login?returnTo=%2F');
  });

  it('uses returnTo when given, and renders nothing by default', async () => {
    stubFetch(unauthenticated);
    const go = stubNav();
    const { container } = render(ui({ returnTo: '/home' }));
    await waitFor(() => expect(go).toHaveBeenCalledExactlyOnceWith('/bff/login?returnTo=%2Fhome'));
    expect(container.innerHTML).toBe('');
  });

  it('on error renders the fallback, or onError when given, and does not redirect', async () => {
    stubFetch(() => json(500, { error: 'server_error', error_description: 'down' }));
    const go = stubNav();
    const { unmount } = render(ui());
    await act(() => new Promise((r) => setTimeout(r, 10)));
    expect(screen.getByText('wait')).toBeTruthy();
    unmount();
    render(ui({ fallback: <p>wait</p>, onError: (e) => <p role="alert">failed: {e.message}</p> }));
    expect((await screen.findByRole('alert')).textContent).toBe('failed: down');
    expect(go).not.toHaveBeenCalled();
  });

  it('redirects again when the session is lost after being authenticated', async () => {
    stubFetch(() => json(200, session()), unauthenticated);
    const go = stubNav();
    let auth!: ReturnType<typeof useAuth>;
    function Grab() {
      auth = useAuth();
      return null;
    }
    render(
      <AuthProvider>
        <Grab />
        <RequireAuth fallback="wait">
          <Secret />
        </RequireAuth>
      </AuthProvider>,
    );
    await screen.findByText('secret of Alice');
    await act(() => auth.refresh());
    expect(go).toHaveBeenCalledExactlyOnceWith('/bff/login?returnTo=%2F');
    expect(screen.getByText('wait')).toBeTruthy();
  });
});

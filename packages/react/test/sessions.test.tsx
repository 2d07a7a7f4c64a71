import { act, renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { BffError } from '../src/bffFetch.js';
import { type SessionInfo, useSessions } from '../src/sessions.js';
import { useAuth } from '../src/useAuth.js';
import type { FetchLike } from '../src/types.js';
import { json, providerWrapper, session, unauthenticated } from './helpers.js';

const mine = (id: string, current = false): SessionInfo => ({ id, current, createdAt: 1_900_000_000, lastSeenAt: 1_900_000_100, userAgent: current ? 'Chromium' : null });

/** A fake BFF: /user, and the sessions endpoints over a list (ids of other users' sessions → 404). */
function fakeBff(list: SessionInfo[], options: { failList?: () => Response | null } = {}) {
  let sessions = [...list];
  const fn = vi.fn<FetchLike>(async (input, init = {}) => {
    const url = String(input);
    const method = init.method ?? 'GET';
    if (new Headers(init.headers).get('x-csrf') !== '1') return json(403, { error: 'csrf' });
    if (url.endsWith('/user')) return json(200, session());
    if (url.endsWith('/sessions') && method === 'GET') return options.failList?.() ?? json(200, sessions);
    if (url.endsWith('/sessions') && method === 'DELETE') {
      sessions = sessions.filter((s) => s.current);
      return new Response(null, { status: 204 });
    }
    const id = decodeURIComponent(url.slice(url.lastIndexOf('/') + 1));
    if (method === 'DELETE' && sessions.some((s) => s.id === id)) {
      sessions = sessions.filter((s) => s.id !== id);
      return new Response(null, { status: 204 });
    }
    return json(404, { error: 'not_found', error_description: 'no such session' });
  });
  vi.stubGlobal('fetch', fn);
  const calls = () => fn.mock.calls.map(([input, init]) => `${init?.method ?? 'GET'} ${String(input)}`).filter((c) => !c.endsWith('/user'));
  return { fn, calls };
}

const renderSessions = (props: Parameters<typeof providerWrapper>[0] = {}) => renderHook(() => ({ auth: useAuth(), s: useSessions() }), { wrapper: providerWrapper(props) });

describe('useSessions', () => {
  it('throws outside <AuthProvider>', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(() => renderHook(() => useSessions())).toThrow('useSessions must be used inside <AuthProvider>');
  });

  it('loads the list once on mount (StrictMode too), with X-CSRF and credentials', async () => {
    const list = [mine('a', true), mine('b')];
    const bff = fakeBff(list);
    const { result } = renderSessions();
    expect(result.current.s).toMatchObject({ sessions: [], loading: true, error: null });
    await waitFor(() => expect(result.current.s.loading).toBe(false));
    expect(result.current.s).toMatchObject({ sessions: list, error: null });
    await act(() => new Promise((r) => setTimeout(r, 20)));
    expect(bff.calls()).toEqual(['GET /bff/sessions']);
    const [, init] = bff.fn.mock.calls.find(([input]) => String(input) === '/bff/sessions')!;
    expect(init?.credentials).toBe('include');
  });

  it('end(id) sends DELETE {bffPath}/sessions/{id} (encoded), resolves after the list is reloaded', async () => {
    const bff = fakeBff([mine('a', true), mine('b/c+d'), mine('e')]);
    const { result } = renderSessions({ bffPath: '/auth' });
    await waitFor(() => expect(result.current.s.sessions).toHaveLength(3));
    await act(() => result.current.s.end('b/c+d'));
    expect(result.current.s.sessions.map((s) => s.id)).toEqual(['a', 'e']);
    expect(bff.calls()).toEqual(['GET /auth/sessions', 'DELETE /auth/sessions/b%2Fc%2Bd', 'GET /auth/sessions']);
  });

  it("end(id) of an unknown or someone else's session rejects with the BFF's 404 (BffError) and still reloads", async () => {
    const bff = fakeBff([mine('a', true)]);
    const { result } = renderSessions();
    await waitFor(() => expect(result.current.s.loading).toBe(false));
    const error = await act(() =>
      result.current.s.end('zzz').then(
        () => expect.fail('resolved'),
        (e: unknown) => e,
      ),
    );
    expect(error).toBeInstanceOf(BffError);
    expect(error).toMatchObject({ status: 404, code: 'not_found', message: 'no such session' });
    expect(bff.calls()).toEqual(['GET /bff/sessions', 'DELETE /bff/sessions/zzz', 'GET /bff/sessions']);
    expect(result.current.s.error).toBeNull(); // the list itself loaded fine
  });

  it('endOthers() sends DELETE {bffPath}/sessions and leaves the current session', async () => {
    const bff = fakeBff([mine('a'), mine('b', true), mine('c')]);
    const { result } = renderSessions();
    await waitFor(() => expect(result.current.s.sessions).toHaveLength(3));
    await act(() => result.current.s.endOthers());
    expect(result.current.s.sessions).toEqual([mine('b', true)]);
    expect(bff.calls()).toEqual(['GET /bff/sessions', 'DELETE /bff/sessions', 'GET /bff/sessions']);
  });

  it('a failed load sets error (keeping the last list) and reload() recovers without rejecting', async () => {
    let fail = false;
    fakeBff([mine('a', true)], { failList: () => (fail ? json(503, { error: 'unavailable', error_description: 'store down' }) : null) });
    const { result } = renderSessions();
    await waitFor(() => expect(result.current.s.sessions).toHaveLength(1));
    fail = true;
    await act(() => result.current.s.reload());
    expect(result.current.s).toMatchObject({ loading: false, sessions: [mine('a', true)] });
    expect(result.current.s.error).toBeInstanceOf(BffError);
    expect(result.current.s.error?.message).toBe('store down');
    fail = false;
    await act(() => result.current.s.reload());
    expect(result.current.s).toMatchObject({ loading: false, error: null });
  });

  it('shows loading during a reload', async () => {
    fakeBff([mine('a', true)]);
    const { result } = renderSessions();
    await waitFor(() => expect(result.current.s.loading).toBe(false));
    let done!: Promise<void>;
    act(() => {
      done = result.current.s.reload();
    });
    expect(result.current.s.loading).toBe(true);
    await act(() => done);
    expect(result.current.s.loading).toBe(false);
  });

  it('keeps reload, end and endOthers stable across renders', async () => {
    fakeBff([mine('a', true)]);
    const { result } = renderSessions();
    await waitFor(() => expect(result.current.s.loading).toBe(false));
    const { reload, end, endOthers } = result.current.s;
    await act(() => result.current.s.reload());
    expect(result.current.s.reload).toBe(reload);
    expect(result.current.s.end).toBe(end);
    expect(result.current.s.endOthers).toBe(endOthers);
  });

  it('a 401 (session gone) turns the provider anonymous, like any useBffFetch call', async () => {
    fakeBff([], { failList: unauthenticated });
    const onSessionExpired = vi.fn();
    const { result } = renderSessions({ onSessionExpired });
    await waitFor(() => expect(result.current.auth.status).toBe('anonymous'));
    await waitFor(() => expect(result.current.s.loading).toBe(false));
    expect(result.current.s.error).toMatchObject({ status: 401 });
    expect(onSessionExpired).toHaveBeenCalledTimes(1);
  });
});

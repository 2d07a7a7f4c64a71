import { act, renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { CHANNEL_NAME } from '../src/channel.js';
import { useAuth } from '../src/useAuth.js';
import { useBffFetch } from '../src/useBffFetch.js';
import { json, providerWrapper, session, stubFetch, unauthenticated, urls } from './helpers.js';

const renderBoth = (props: Parameters<typeof providerWrapper>[0] = {}) => renderHook(() => ({ auth: useAuth(), fetch: useBffFetch() }), { wrapper: providerWrapper(props) });

describe('useBffFetch', () => {
  it('throws outside <AuthProvider>', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(() => renderHook(() => useBffFetch())).toThrow('useBffFetch must be used inside <AuthProvider>');
  });

  it('adds credentials and X-CSRF, keeps caller headers, returns the response and is stable', async () => {
    const fetch = stubFetch(
      () => json(200, session()),
      () => json(200, [{ id: 1 }]),
    );
    const { result } = renderBoth();
    await waitFor(() => expect(result.current.auth.status).toBe('authenticated'));
    const first = result.current.fetch;
    const res = await result.current.fetch('/api/todos', { method: 'POST', headers: { 'Content-Type': 'application/json' } });
    expect(await res.json()).toEqual([{ id: 1 }]);
    const init = fetch.mock.calls[1]![1]!;
    const headers = new Headers(init.headers);
    expect(init).toMatchObject({ method: 'POST', credentials: 'include' });
    expect(headers.get('x-csrf')).toBe('1');
    expect(headers.get('content-type')).toBe('application/json');
    await act(() => result.current.auth.refresh());
    expect(result.current.fetch).toBe(first);
  });

  it('uses the provider fetch prop', async () => {
    const own = vi.fn(async () => json(200, session()));
    stubFetch(unauthenticated);
    const { result } = renderBoth({ fetch: own });
    await waitFor(() => expect(result.current.auth.status).toBe('authenticated'));
    await result.current.fetch('/api/x');
    expect(own).toHaveBeenLastCalledWith('/api/x', expect.objectContaining({ credentials: 'include' }));
  });

  it('a 401 turns the provider anonymous, calls onSessionExpired once and tells other tabs', async () => {
    const expired = { error: 'session_expired', error_description: 'gone' };
    const fetch = stubFetch(
      () => json(200, session()),
      () => json(401, expired),
    );
    const onSessionExpired = vi.fn();
    const other = new BroadcastChannel(CHANNEL_NAME);
    const messages: unknown[] = [];
    other.onmessage = (e) => messages.push(e.data);
    try {
      const { result } = renderBoth({ onSessionExpired });
      await waitFor(() => expect(result.current.auth.status).toBe('authenticated'));
      let responses: Response[] = [];
      await act(async () => {
        responses = await Promise.all([result.current.fetch('/api/a'), result.current.fetch('/api/b')]);
      });
      expect(responses.map((r) => r.status)).toEqual([401, 401]);
      expect(await responses[0]!.json()).toEqual(expired); // body left to the caller
      expect(result.current.auth).toMatchObject({ status: 'anonymous', user: null });
      expect(onSessionExpired).toHaveBeenCalledTimes(1);
      await waitFor(() => expect(messages).toContainEqual({ type: 'logout' }));
      expect(urls(fetch)).toEqual(['/bff/user', '/api/a', '/api/b']);
    } finally {
      other.close();
    }
  });

  it('a 401 while /user is in flight wins over a late authenticated answer', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    stubFetch(async () => (await gate, json(200, session())), unauthenticated);
    const onSessionExpired = vi.fn();
    const { result } = renderBoth({ onSessionExpired });
    await act(() => result.current.fetch('/api/early'));
    expect(result.current.auth.status).toBe('anonymous');
    await act(async () => release());
    await act(() => new Promise((r) => setTimeout(r, 10)));
    expect(result.current.auth.status).toBe('anonymous');
    expect(onSessionExpired).toHaveBeenCalledTimes(1);
  });

  it('other statuses leave the session alone', async () => {
    stubFetch(
      () => json(200, session()),
      () => json(403, { error: 'forbidden' }),
    );
    const onSessionExpired = vi.fn();
    const { result } = renderBoth({ onSessionExpired });
    await waitFor(() => expect(result.current.auth.status).toBe('authenticated'));
    const res = await act(() => result.current.fetch('/api/admin'));
    expect(res.status).toBe(403);
    expect(result.current.auth.status).toBe('authenticated');
    expect(onSessionExpired).not.toHaveBeenCalled();
  });
});

import { act, renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { CHANNEL_NAME, openChannel } from '../src/channel.js';
import { useAuth } from '../src/useAuth.js';
import { json, providerWrapper, session, stubFetch, unauthenticated, urls } from './helpers.js';

/** Plays "another tab" on the shared channel. */
function otherTab() {
  const ch = new BroadcastChannel(CHANNEL_NAME);
  const received: unknown[] = [];
  ch.onmessage = (e) => received.push(e.data);
  return { ch, received, [Symbol.dispose]: () => ch.close() };
}

const renderAuth = () => renderHook(() => useAuth(), { wrapper: providerWrapper() });

describe('openChannel', () => {
  it('delivers login/logout from other channels and ignores anything else', async () => {
    const onMessage = vi.fn();
    const mine = openChannel(onMessage);
    const other = otherTab();
    try {
      for (const data of [{ type: 'logout' }, 'junk', null, { type: 'other' }, { type: 'login' }]) other.ch.postMessage(data);
      await vi.waitFor(() => expect(onMessage).toHaveBeenCalledTimes(2));
      expect(onMessage.mock.calls).toEqual([['logout'], ['login']]);
      mine.post('logout');
      await vi.waitFor(() => expect(other.received).toEqual([{ type: 'logout' }]));
    } finally {
      mine.close();
      other.ch.close();
    }
  });

  it('is a no-op without BroadcastChannel', () => {
    vi.stubGlobal('BroadcastChannel', undefined);
    const ch = openChannel(() => {});
    expect(() => (ch.post('login'), ch.close())).not.toThrow();
  });
});

describe('AuthProvider across tabs', () => {
  it("another tab's logout turns this tab anonymous at once, without a request", async () => {
    const fetch = stubFetch(() => json(200, session()));
    using other = otherTab();
    const { result } = renderAuth();
    await waitFor(() => expect(result.current.status).toBe('authenticated'));
    act(() => other.ch.postMessage({ type: 'logout' }));
    await waitFor(() => expect(result.current.status).toBe('anonymous'));
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("another tab's login makes this tab re-check /user, and this tab then announces its own login", async () => {
    const fetch = stubFetch(unauthenticated, () => json(200, session()));
    using other = otherTab();
    const { result } = renderAuth();
    await waitFor(() => expect(result.current.status).toBe('anonymous'));
    act(() => other.ch.postMessage({ type: 'login' }));
    await waitFor(() => expect(result.current.status).toBe('authenticated'));
    expect(urls(fetch)).toEqual(['/bff/user', '/bff/user']);
    await waitFor(() => expect(other.received).toEqual([{ type: 'login' }]));
  });

  it('announces login when a page load finds a session (after a login redirect), not when anonymous', async () => {
    stubFetch(unauthenticated);
    using other = otherTab();
    const { result } = renderAuth();
    await waitFor(() => expect(result.current.status).toBe('anonymous'));
    await act(() => new Promise((r) => setTimeout(r, 20)));
    expect(other.received).toEqual([]);
  });

  it('works without BroadcastChannel', async () => {
    vi.stubGlobal('BroadcastChannel', undefined);
    stubFetch(() => json(200, session()));
    const { result, unmount } = renderAuth();
    await waitFor(() => expect(result.current.status).toBe('authenticated'));
    unmount();
  });
});

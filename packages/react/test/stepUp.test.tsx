import { act, renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { bffFetch, BffError, StepUpRequired } from '../src/bffFetch.js';
import { CHANNEL_NAME } from '../src/channel.js';
import { useAuth } from '../src/useAuth.js';
import { useBffFetch } from '../src/useBffFetch.js';
import { json, providerWrapper, session, stubFetch, stubNav, unauthenticated } from './helpers.js';

const STEP_UP = { error: 'step_up_required', error_description: 'This needs a second factor', acr_values: 'urn:portcullis:mfa', max_age: 300 };

const renderBoth = (props: Parameters<typeof providerWrapper>[0] = {}) => renderHook(() => ({ auth: useAuth(), fetch: useBffFetch() }), { wrapper: providerWrapper(props) });

/** The rejection of a promise (fails when it resolves). */
const rejection = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('resolved'),
    (e: unknown) => e,
  );

describe('step-up (401 step_up_required)', () => {
  it('useBffFetch rejects with StepUpRequired and keeps the session: no anonymous, no onSessionExpired, no cross-tab logout', async () => {
    stubFetch(
      () => json(200, session()),
      () => json(401, STEP_UP),
    );
    const onSessionExpired = vi.fn();
    const other = new BroadcastChannel(CHANNEL_NAME);
    const messages: unknown[] = [];
    other.onmessage = (e) => messages.push(e.data);
    try {
      const { result } = renderBoth({ onSessionExpired });
      await waitFor(() => expect(result.current.auth.status).toBe('authenticated'));
      const error = await act(() => rejection(result.current.fetch('/api/todos', { method: 'DELETE' })));
      expect(error).toBeInstanceOf(StepUpRequired);
      expect(error).toBeInstanceOf(BffError);
      expect(error).toMatchObject({
        name: 'StepUpRequired',
        status: 401,
        code: 'step_up_required',
        message: 'This needs a second factor',
        acrValues: 'urn:portcullis:mfa',
        maxAge: 300,
      });
      await act(() => new Promise((r) => setTimeout(r, 20)));
      expect(result.current.auth).toMatchObject({ status: 'authenticated', sub: 'alice' });
      expect(onSessionExpired).not.toHaveBeenCalled();
      expect(messages).toEqual([{ type: 'login' }]);
    } finally {
      other.close();
    }
  });

  it('carries only what the answer holds (max_age alone; no description → the code as message)', async () => {
    stubFetch(() => json(401, { error: 'step_up_required', max_age: 60 }));
    const error = await rejection(bffFetch('/api/x'));
    expect(error).toBeInstanceOf(StepUpRequired);
    expect(error).toMatchObject({ message: 'step_up_required', maxAge: 60, acrValues: undefined });
  });

  it('bffFetch (outside components) rejects the same way', async () => {
    stubFetch(() => json(401, STEP_UP));
    expect(await rejection(bffFetch('/api/todos'))).toMatchObject({ name: 'StepUpRequired', acrValues: 'urn:portcullis:mfa' });
  });

  it.each([
    ['a plain 401 JSON', unauthenticated],
    ['a 401 without a body', () => new Response(null, { status: 401 })],
    ['a 401 HTML page', () => new Response('<h1>401</h1>', { status: 401, headers: { 'content-type': 'text/html' } })],
  ])('%s is still a lost session, its body left to the caller', async (_, responder) => {
    stubFetch(() => json(200, session()), responder);
    const onSessionExpired = vi.fn();
    const { result } = renderBoth({ onSessionExpired });
    await waitFor(() => expect(result.current.auth.status).toBe('authenticated'));
    const res = await act(() => result.current.fetch('/api/todos'));
    expect(res.status).toBe(401);
    expect(res.bodyUsed).toBe(false);
    expect(result.current.auth.status).toBe('anonymous');
    expect(onSessionExpired).toHaveBeenCalledTimes(1);
  });

  it('a 403 step_up_required is not a step-up (RFC 9470 challenges are 401s): returned as is', async () => {
    stubFetch(
      () => json(200, session()),
      () => json(403, STEP_UP),
    );
    const { result } = renderBoth();
    await waitFor(() => expect(result.current.auth.status).toBe('authenticated'));
    const res = await act(() => result.current.fetch('/api/todos'));
    expect(res.status).toBe(403);
    expect(result.current.auth.status).toBe('authenticated');
  });

  it('the documented recovery: login({ acrValues, maxAge, returnTo }) from the error', async () => {
    stubFetch(
      () => json(200, session()),
      () => json(401, STEP_UP),
    );
    const go = stubNav();
    window.history.replaceState(null, '', '/todos');
    const { result } = renderBoth();
    await waitFor(() => expect(result.current.auth.status).toBe('authenticated'));
    const e = await act(() => rejection(result.current.fetch('/api/todos', { method: 'DELETE' })));
    if (!(e instanceof StepUpRequired)) throw e;
    act(() => result.current.auth.login({ acrValues: e.acrValues, maxAge: e.maxAge, returnTo: '/todos' }));
    expect(go).toHaveBeenCalledExactlyOnceWith('/bff/login?returnTo=%2Ftodos&max_age=300&acr_values=urn%3Aportcullis%3Amfa');
  });

  it('a step-up answer to /user (not expected) is an error state, not a lost session', async () => {
    stubFetch(() => json(401, STEP_UP));
    const { result } = renderBoth();
    await waitFor(() => expect(result.current.auth.status).toBe('error'));
    expect(result.current.auth.error).toBeInstanceOf(StepUpRequired);
  });
});

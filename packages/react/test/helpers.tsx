import type { ReactNode } from 'react';
import { vi } from 'vitest';
import { AuthProvider, type AuthProviderProps } from '../src/AuthProvider.js';
import { nav } from '../src/navigate.js';
import type { BffSession, FetchLike } from '../src/types.js';

export const NOW = Date.UTC(2030, 0, 1); // fixed clock for timer tests

export function session(overrides: Partial<BffSession> = {}): BffSession {
  return {
    sub: 'alice',
    claims: { name: 'Alice', email: 'alice@example.com', preferred_username: 'alice' },
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
    logoutUrl: '/bff/logout?sid=s1',
    ...overrides,
  };
}

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export const unauthenticated = () => json(401, { error: 'unauthenticated', error_description: 'no session' });

/** Stubs the global fetch; each call takes the next responder (the last one repeats). */
export function stubFetch(...responders: Array<() => Response | Promise<Response>>) {
  let i = 0;
  const fn = vi.fn<FetchLike>(async () => {
    const r = responders[Math.min(i++, responders.length - 1)];
    if (!r) throw new Error('no responder');
    return r();
  });
  vi.stubGlobal('fetch', fn);
  return fn;
}

/** URLs passed to a fetch mock. */
export const urls = (fn: ReturnType<typeof stubFetch>) => fn.mock.calls.map(([input]) => String(input));

/** Stubs full-page navigation. */
export const stubNav = () => vi.spyOn(nav, 'go').mockImplementation(() => {});

/** A renderHook/render wrapper: <AuthProvider {...props}> (StrictMode comes from setup.ts). */
export function providerWrapper(props: Omit<AuthProviderProps, 'children'> = {}) {
  return ({ children }: { children: ReactNode }) => <AuthProvider {...props}>{children}</AuthProvider>;
}

/** A promise with its resolve function, to hold a fetch open. */
export function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

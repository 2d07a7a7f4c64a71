/**
 * The end-session `state`: fresh per logout, stored for ten minutes with the
 * hash of a browser-binding cookie, single use, and worthless in another
 * browser or when made up.
 */
import type Koa from 'koa';
import { afterAll, describe, expect, it } from 'vitest';
import { issueLogoutState, logoutBindingCookieName, takeLogoutState } from '../../src/protocol/logout-state.ts';
import { MemorySessionStore } from '../../src/session/memory-store.ts';

const store = new MemorySessionStore();
afterAll(() => store.close());
const where = { store, sessionCookie: 'portcullis', secure: false };

/** A context with a cookie jar of its own (one browser). */
function browser(): Koa.Context {
  const jar = new Map<string, string>();
  return { cookies: { get: (name: string) => jar.get(name), set: (name: string, value: string) => void jar.set(name, value) } } as unknown as Koa.Context;
}

describe('logout state', () => {
  it('is fresh per logout, bound to the browser that started it, and single use', async () => {
    const tab = browser();
    const first = await issueLogoutState(tab, where, '/bye');
    const second = await issueLogoutState(tab, where, '/');
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second).not.toBe(first);
    expect(tab.cookies.get(logoutBindingCookieName('portcullis'))).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await takeLogoutState(browser(), where, first)).toBeUndefined(); // another browser: refused, and consumed
    expect(await takeLogoutState(tab, where, first)).toBeUndefined();
    expect(await takeLogoutState(tab, where, second)).toBe('/');
    expect(await takeLogoutState(tab, where, second)).toBeUndefined();
  });

  it('a made-up state is nothing', async () => {
    const tab = browser();
    await issueLogoutState(tab, where, '/');
    for (const state of ['', 'forged', 'A'.repeat(43), `${'A'.repeat(43)}/`]) expect(await takeLogoutState(tab, where, state)).toBeUndefined();
  });
});

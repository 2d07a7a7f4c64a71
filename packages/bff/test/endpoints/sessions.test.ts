/**
 * `GET /bff/sessions`, `DELETE /bff/sessions/{id}`, `DELETE /bff/sessions`:
 * the signed-in user's own live sessions under opaque ids, ending one or all
 * others (refresh tokens revoked as at logout), never someone else's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionListEntry } from '../../src/index.ts';
import { BffClient } from '../support/client.ts';
import { startStack, type Stack } from '../support/harness.ts';
import { sessionIdOf, sessionRecord } from '../support/session.ts';

let stack: Stack;
let tokenEndpoint: string;

beforeAll(async () => {
  stack = await startStack();
  tokenEndpoint = ((await (await fetch(`${stack.provider.issuer}/.well-known/openid-configuration`)).json()) as { token_endpoint: string }).token_endpoint;
});
afterAll(() => stack?.stop());

const signedIn = (user = 'alice') => BffClient.signedIn(stack.baseUrl, user);

async function list(tab: BffClient): Promise<SessionListEntry[]> {
  const response = await tab.fetch('/bff/sessions');
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('no-store');
  return (await response.json()) as SessionListEntry[];
}

/** Whether the provider still honours `refreshToken` (a used one rotates: only for tokens about to be dropped). */
async function refreshWorks(refreshToken: string): Promise<boolean> {
  const response = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${stack.client.id}:${stack.client.secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  await response.body?.cancel();
  return response.status === 200;
}

describe('GET /bff/sessions', () => {
  it("lists the user's live sessions under opaque ids, this one marked current, nobody else's", async () => {
    const one = await signedIn('alice');
    const two = await signedIn('alice');
    const bob = await signedIn('bob');
    const entries = await list(one);
    const ids = [sessionIdOf(one)!, sessionIdOf(two)!];
    expect(entries.map((e) => e.id)).toHaveLength(new Set(entries.map((e) => e.id)).size);
    expect(entries.filter((e) => e.current)).toHaveLength(1);
    // Both tabs are listed, each seeing itself as the current one.
    const twosOwn = (await list(two)).find((e) => e.current)!;
    expect(entries.find((e) => e.current)!.id).not.toBe(twosOwn.id);
    expect(entries.map((e) => e.id)).toContain(twosOwn.id);
    for (const entry of entries) {
      expect(Object.keys(entry).sort()).toEqual(['createdAt', 'current', 'id', 'lastSeenAt', 'userAgent']);
      // An id names a session to its owner and is no cookie: never the session id itself.
      for (const id of ids) expect(entry.id).not.toContain(id);
      expect(Number.isInteger(entry.createdAt)).toBe(true);
      expect(entry.lastSeenAt).toBeGreaterThanOrEqual(entry.createdAt);
    }
    const bobs = await list(bob);
    expect(bobs).toHaveLength(1);
    expect(entries.map((e) => e.id)).not.toContain(bobs[0]!.id);
  });

  it('answers 401 without a session and 403 without X-CSRF: 1', async () => {
    const anonymous = await new BffClient(stack.baseUrl).fetch('/bff/sessions');
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: 'unauthenticated', error_description: expect.any(String) });
    const tab = await signedIn();
    for (const [path, method] of [
      ['/bff/sessions', 'GET'],
      ['/bff/sessions', 'DELETE'],
      ['/bff/sessions/x', 'DELETE'],
    ] as const) {
      const response = await tab.fetch(path, { method, csrf: false });
      expect(response.status, `${method} ${path}`).toBe(403);
      await response.body?.cancel();
    }
    expect((await tab.user()).status).toBe(200);
  });
});

describe('DELETE /bff/sessions/{id}', () => {
  it('ends another session of the user and revokes its refresh token', async () => {
    const here = await signedIn('alice');
    const there = await signedIn('alice');
    const refreshToken = (await sessionRecord(stack, sessionIdOf(there)!))!.tokens.refreshToken!;
    expect(refreshToken).toBeTruthy();
    const target = (await list(there)).find((e) => e.current)!;
    const response = await here.fetch(`/bff/sessions/${target.id}`, { method: 'DELETE' });
    expect(response.status).toBe(204);
    expect((await there.user()).status).toBe(401);
    expect((await here.user()).status).toBe(200);
    expect(await refreshWorks(refreshToken)).toBe(false);
  });

  it("answers 404 for an unknown id and for another user's session, which stays", async () => {
    const alice = await signedIn('alice');
    const bob = await signedIn('bob');
    const bobsId = (await list(bob))[0]!.id;
    for (const id of ['nope', bobsId]) {
      const response = await alice.fetch(`/bff/sessions/${id}`, { method: 'DELETE' });
      expect(response.status, id).toBe(404);
      expect(((await response.json()) as { error: string }).error).toBe('not_found');
    }
    expect((await bob.user()).status).toBe(200);
  });

  it('ends the current session too when named', async () => {
    const tab = await signedIn('bob');
    const current = (await list(tab)).find((e) => e.current)!;
    expect((await tab.fetch(`/bff/sessions/${current.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await tab.user()).status).toBe(401);
  });
});

describe('DELETE /bff/sessions', () => {
  it("ends every other session of the user, keeps this one and other users' sessions", async () => {
    const here = await signedIn('alice');
    const others = [await signedIn('alice'), await signedIn('alice')];
    const bob = await signedIn('bob');
    expect((await here.fetch('/bff/sessions', { method: 'DELETE' })).status).toBe(204);
    for (const tab of others) expect((await tab.user()).status).toBe(401);
    expect((await here.user()).status).toBe(200);
    expect((await bob.user()).status).toBe(200);
    const left = await list(here);
    expect(left).toHaveLength(1);
    expect(left[0]!.current).toBe(true);
  });
});

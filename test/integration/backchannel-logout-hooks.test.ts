/**
 * Back-channel logout tells `hooks.onLogout` about every user whose sessions it
 * ended, whatever the logout token names: a token with only `sid` (the spec
 * allows `sid` alone: §2.4 "sid and/or sub") ends that provider session's
 * sessions, and their `sub` comes from the ended records, not from the token.
 * And the `keycloak` profile's logout tokens typed `JWT` (Keycloak before 25)
 * end sessions through the endpoint, where the `generic` profile refuses them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import { BffClient } from '../helpers/bff-client.ts';
import { authOf } from '../helpers/sessions.ts';

const EVENT = { 'http://schemas.openid.net/event/backchannel-logout': {} };

type LogoutEvent = { sub: string; kind: string };

let stack: DemoStack;
let told: LogoutEvent[] = [];

beforeAll(async () => {
  stack = await startDemoStack({ logger: silentLogger, bff: { hooks: { onLogout: (event) => void told.push({ ...event }) } } });
});
afterAll(async () => {
  await stack?.stop();
});

const send = (token: string) =>
  fetch(`${stack.baseUrl}/bff/backchannel-logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ logout_token: token }) });
const logoutToken = (claims: Record<string, unknown>) =>
  stack.provider.signJwt({ aud: stack.client.id, jti: crypto.randomUUID(), events: EVENT, exp: Math.floor(Date.now() / 1000) + 120, ...claims }, { typ: 'logout+jwt' });

/** The hook calls made while `action` runs. */
async function toldDuring(action: () => Promise<void>): Promise<LogoutEvent[]> {
  told = [];
  await action();
  return told;
}

describe('back-channel logout and hooks.onLogout', () => {
  it('a token with only sid: the session ends and onLogout is told its sub', async () => {
    const alice = await BffClient.signedIn(stack.baseUrl, 'alice');
    const bob = await BffClient.signedIn(stack.baseUrl, 'bob');
    const { sid } = (await authOf(stack.bff, alice))!;
    expect(sid).toBeTruthy();
    const calls = await toldDuring(async () => {
      expect((await send(await logoutToken({ sid }))).status).toBe(200);
    });
    expect((await alice.user()).status).toBe(401);
    expect((await bob.user()).status).toBe(200);
    expect(calls).toEqual([{ sub: 'alice', kind: 'backchannel' }]);
  });

  it('a token with sid and sub: told once, about that sub', async () => {
    const alice = await BffClient.signedIn(stack.baseUrl, 'alice');
    const { sid } = (await authOf(stack.bff, alice))!;
    const calls = await toldDuring(async () => {
      expect((await send(await logoutToken({ sid, sub: 'alice' }))).status).toBe(200);
    });
    expect((await alice.user()).status).toBe(401);
    expect(calls).toEqual([{ sub: 'alice', kind: 'backchannel' }]);
  });

  it('a token with only sub ending two sessions: told once about that user', async () => {
    const one = await BffClient.signedIn(stack.baseUrl, 'bob');
    const two = await BffClient.signedIn(stack.baseUrl, 'bob');
    const calls = await toldDuring(async () => {
      expect((await send(await logoutToken({ sub: 'bob' }))).status).toBe(200);
    });
    expect((await one.user()).status).toBe(401);
    expect((await two.user()).status).toBe(401);
    expect(calls).toEqual([{ sub: 'bob', kind: 'backchannel' }]);
  });

  it('a token whose sid and sub end nothing here: no session ends, nobody is told', async () => {
    const alice = await BffClient.signedIn(stack.baseUrl, 'alice');
    const { sid } = (await authOf(stack.bff, alice))!;
    const calls = await toldDuring(async () => {
      expect((await send(await logoutToken({ sid: 'unknown-sid' }))).status).toBe(200);
      // alice's sid with another user's sub: the record does not match both, so it stays.
      expect((await send(await logoutToken({ sid, sub: 'mallory' }))).status).toBe(200);
    });
    expect((await alice.user()).status).toBe(200);
    expect(calls).toEqual([]);
  });
});

describe("the provider profile's logout token typ, through the endpoint", () => {
  let keycloak: DemoStack;
  beforeAll(async () => {
    // userinfo off: the demo's access tokens are for its API, not for its userinfo endpoint.
    keycloak = await startDemoStack({ logger: silentLogger, bff: { provider: 'keycloak', userinfo: false, hooks: { onLogout: (event) => void told.push({ ...event }) } } });
  });
  afterAll(async () => {
    await keycloak?.stop();
  });

  const jwtTyped = (on: DemoStack, sid: string | undefined) =>
    on.provider.signJwt({ aud: on.client.id, jti: crypto.randomUUID(), events: EVENT, exp: Math.floor(Date.now() / 1000) + 120, sid, sub: 'alice' }, { typ: 'JWT' });
  const deliver = async (on: DemoStack, token: string) =>
    fetch(`${on.baseUrl}/bff/backchannel-logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ logout_token: token }) });

  it('keycloak: a logout token typed JWT ends the session', async () => {
    const alice = await BffClient.signedIn(keycloak.baseUrl, 'alice');
    const { sid } = (await authOf(keycloak.bff, alice))!;
    const calls = await toldDuring(async () => {
      expect((await deliver(keycloak, await jwtTyped(keycloak, sid))).status).toBe(200);
    });
    expect((await alice.user()).status).toBe(401);
    expect(calls).toEqual([{ sub: 'alice', kind: 'backchannel' }]);
  });

  it('generic: the same token typed JWT is refused and ends nothing', async () => {
    const alice = await BffClient.signedIn(stack.baseUrl, 'alice');
    const { sid } = (await authOf(stack.bff, alice))!;
    const response = await deliver(stack, await jwtTyped(stack, sid));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request', error_description: 'Invalid logout token: typ "JWT" is not logout+jwt.' });
    expect((await alice.user()).status).toBe(200);
  });
});

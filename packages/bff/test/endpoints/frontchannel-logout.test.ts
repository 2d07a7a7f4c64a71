/**
 * `GET /bff/frontchannel-logout?iss=…&sid=…` (with `logout.frontchannel`):
 * without a cookie, every session of that provider session ends; a request
 * with a wrong or missing `iss` or `sid` ends nothing. Always a small HTML
 * page the provider's origin may frame, never cached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BffClient } from '../support/client.ts';
import { startBff, startStack, type Stack } from '../support/harness.ts';
import { sessionIdOf, sessionRecord } from '../support/session.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ bff: { logout: { frontchannel: true } } });
});
afterAll(() => stack?.stop());

/** The request the provider's logout page makes from its iframe (no cookie: third-party). */
const frontchannel = (query: string) => fetch(`${stack.baseUrl}/bff/frontchannel-logout?${query}`);
const sidOf = async (tab: BffClient) => (await sessionRecord(stack, sessionIdOf(tab)!))!.sid!;

function expectFramablePage(response: Response): void {
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('content-security-policy')).toContain(`frame-ancestors ${stack.provider.issuer}`);
}

describe('GET /bff/frontchannel-logout', () => {
  it("ends every session of that sid, without a cookie, and nobody else's", async () => {
    const alice = await BffClient.signedIn(stack.baseUrl, 'alice');
    const bob = await BffClient.signedIn(stack.baseUrl, 'bob');
    const sid = await sidOf(alice);
    expect(sid).toBeTruthy();
    const response = await frontchannel(new URLSearchParams({ iss: stack.provider.issuer, sid }).toString());
    expect(response.status).toBe(200);
    expectFramablePage(response);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect((await alice.user()).status).toBe(401);
    expect((await bob.user()).status).toBe(200);
    // Delivered again (the provider's page reloaded): nothing left to end, still 200.
    expect((await frontchannel(new URLSearchParams({ iss: stack.provider.issuer, sid }).toString())).status).toBe(200);
  });

  it('answers 200 to an unknown sid (already ended, or never here)', async () => {
    const response = await frontchannel(new URLSearchParams({ iss: stack.provider.issuer, sid: 'unknown-sid' }).toString());
    expect(response.status).toBe(200);
    expectFramablePage(response);
  });

  it('refuses (400) a wrong, missing or repeated iss or sid, and ends nothing', async () => {
    const alice = await BffClient.signedIn(stack.baseUrl, 'alice');
    const sid = await sidOf(alice);
    const iss = stack.provider.issuer;
    const queries = [
      new URLSearchParams({ iss: 'http://evil.example', sid }),
      new URLSearchParams({ iss: `${iss}/`, sid }),
      new URLSearchParams({ sid }),
      new URLSearchParams({ iss }),
      new URLSearchParams({ iss, sid: '' }),
      new URLSearchParams({ iss, sid: `${sid} x` }),
      new URLSearchParams([
        ['iss', iss],
        ['sid', sid],
        ['sid', sid],
      ]),
      new URLSearchParams([
        ['iss', iss],
        ['iss', iss],
        ['sid', sid],
      ]),
    ];
    for (const query of queries) {
      const response = await frontchannel(query.toString());
      expect(response.status, query.toString()).toBe(400);
      expectFramablePage(response);
    }
    expect((await alice.user()).status).toBe(200);
  });

  it('is not there unless `logout.frontchannel` is on: 404', async () => {
    const plain = await startBff({ issuer: stack.provider.issuer, clientId: stack.client.id, clientSecret: stack.client.secret, baseUrl: stack.baseUrl, session: { keys: ['k'.repeat(32)] } });
    try {
      const response = await fetch(`${plain.url}/bff/frontchannel-logout?${new URLSearchParams({ iss: stack.provider.issuer, sid: 'x' })}`);
      expect(response.status).toBe(404);
      await response.body?.cancel();
    } finally {
      await plain.stop();
    }
  });
});

/**
 * Token types per proxied route: user, client (client credentials, cached),
 * userOrClient and none; revocation of the refresh token at logout.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import { BffClient } from '../helpers/bff-client.ts';
import { authOf } from '../helpers/sessions.ts';

let stack: DemoStack;
beforeAll(async () => {
  stack = await startDemoStack({
    logger: silentLogger,
    bff: ({ api }) => ({
      apis: [
        { path: '/api/todos', target: `${api.url}/todos`, token: 'user' },
        { path: '/api/machine', target: `${api.url}/whoami`, token: 'client' },
        { path: '/api/either', target: `${api.url}/whoami`, token: 'userOrClient' },
        { path: '/api/public', target: `${api.url}/health`, token: 'none' },
      ],
    }),
  });
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(() => {
  stack.provider.resetCounts();
});

describe('token types', () => {
  it("'client' routes get a client-credentials token, cached: one grant for many calls", async () => {
    const anonymous = new BffClient(stack.baseUrl);
    const first = await Promise.all(Array.from({ length: 20 }, () => anonymous.fetch('/api/machine')));
    const second = await Promise.all(Array.from({ length: 20 }, () => anonymous.fetch('/api/machine')));
    for (const response of [...first, ...second]) expect(response.status).toBe(200);
    expect(await first[0]!.json()).toMatchObject({ kind: 'client', clientId: stack.client.id });
    expect(stack.provider.grantCounts()['client_credentials']).toBe(1);
  });

  it("'client' routes are still CSRF-checked", async () => {
    const anonymous = new BffClient(stack.baseUrl);
    expect((await anonymous.fetch('/api/machine', { csrf: false })).status).toBe(403);
  });

  it("'userOrClient' uses the user's token when signed in, the client's otherwise", async () => {
    const anonymous = new BffClient(stack.baseUrl);
    expect(await (await anonymous.fetch('/api/either')).json()).toMatchObject({ kind: 'client' });
    const alice = new BffClient(stack.baseUrl);
    await alice.login('alice');
    expect(await (await alice.fetch('/api/either')).json()).toMatchObject({ kind: 'user', sub: 'alice' });
  });

  it("'none' sends no Authorization header", async () => {
    const alice = new BffClient(stack.baseUrl);
    await alice.login('alice');
    const response = await alice.fetch('/api/public');
    expect(response.status).toBe(200);
    const forwarded = stack.api.requests.at(-1)!;
    expect(forwarded.path).toBe('/health');
    expect(forwarded.authorization).toBeUndefined();
  });

  it("'user' routes answer 401 without a session", async () => {
    const anonymous = new BffClient(stack.baseUrl);
    const response = await anonymous.fetch('/api/todos');
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'unauthenticated' });
  });
});

describe('revocation at logout', () => {
  it('revokes the refresh token at the provider (RFC 7009)', async () => {
    const tab = new BffClient(stack.baseUrl);
    await tab.login('alice');
    const { tokens } = (await authOf(stack.bff, tab))!;
    const { body } = await tab.user();
    const logout = await tab.fetch(String(body['logoutUrl']), { csrf: false });
    expect(logout.status).toBe(302);
    const grant = await fetch(`${stack.provider.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${stack.client.id}:${stack.client.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refreshToken! }),
    });
    expect(grant.status).toBe(400);
    expect(await grant.json()).toMatchObject({ error: 'invalid_grant' });
  });
});

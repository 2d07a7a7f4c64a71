/**
 * Attack suite: the callback. Forged, missing, reused and cross-session
 * `state`; authorization code injection (an attacker's code spliced into a
 * victim's login, codes swapped between two logins of one browser: PKCE
 * must catch both, RFC 9700 §2.1.1 and §4.5); a replayed callback; a state
 * from another BFF instance; a code issued to another client redeemed by a
 * second BFF registered at the same provider (RFC 6749 §4.1.3: the code is
 * bound to its client); the issuer of a second, real provider (mix-up,
 * RFC 9207).
 *
 * Existing integration tests already cover the basic contract (unknown state,
 * missing binding cookie, replay, concurrent delivery, RFC 9207 with a fake
 * issuer); these are the adversarial variants. Every case: 4xx, no session
 * cookie, no session record created or changed, the process still healthy.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBff, silentLogger, type BffMiddleware } from '@portcullis/bff';
import { startDemoProvider, type DemoProvider } from '@portcullis/demo/provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditedStore, pendingLogin, setCookiesNamed, startArena, type Arena } from '../helpers/attack.ts';
import { BffClient } from '../helpers/bff-client.ts';
import { createKoaApp } from '../helpers/koa.ts';

let arena: Arena;
beforeAll(async () => {
  arena = await startArena();
});
afterAll(() => arena?.stop());

/** A callback URL on `base` with the given parameters (the real issuer's `iss` unless given). */
const callbackPath = (params: Record<string, string>): string => `/bff/callback?${new URLSearchParams(params).toString()}`;

/** Delivers a callback in `client` under the arena's guard and checks the refusal. */
async function expectRefusedCallback(client: BffClient, path: string, error: string, status = 400): Promise<void> {
  const response = await arena.guard(() => client.fetch(path, { csrf: false }));
  const body = (await response.json()) as { error: string };
  expect(response.status, JSON.stringify(body)).toBe(status);
  expect(body.error).toBe(error);
  expect(response.headers.get('location')).toBeNull();
  expect(setCookiesNamed(response, 'portcullis')).toEqual([]);
  expect((await client.user()).status).toBe(401);
}

describe('forged, missing and reused state', () => {
  it('refuses a real code with a forged state of the right shape', async () => {
    const client = new BffClient(arena.baseUrl);
    const login = await pendingLogin(client);
    const iss = arena.stack.provider.issuer;
    await expectRefusedCallback(client, callbackPath({ code: login.code, state: randomBytes(16).toString('hex'), iss }), 'invalid_state');
    // The genuine login is still usable: the forgery did not burn it.
    expect((await client.fetch(login.callbackPath, { csrf: false })).status).toBe(302);
  });

  it('refuses a real code with the state missing, empty, or given twice with different values', async () => {
    const client = new BffClient(arena.baseUrl);
    const login = await pendingLogin(client);
    const iss = arena.stack.provider.issuer;
    await expectRefusedCallback(client, callbackPath({ code: login.code, iss }), 'invalid_state');
    await expectRefusedCallback(client, callbackPath({ code: login.code, state: '', iss }), 'invalid_state');
    await expectRefusedCallback(client, `${callbackPath({ code: login.code, state: login.state, iss })}&state=${'0'.repeat(32)}`, 'invalid_request');
  });

  it('refuses states that try to reach other store keys or overflow it', async () => {
    const client = new BffClient(arena.baseUrl);
    const login = await pendingLogin(client);
    const iss = arena.stack.provider.issuer;
    const sessionId = arena.sentinel.sessionCookie()!.split('.')[0]!;
    for (const state of [sessionId, `../${sessionId}`, `state:${login.state}`, `${login.state}\u0000`, `${login.state} `, login.state.toUpperCase(), 'x'.repeat(8000)]) {
      await expectRefusedCallback(client, callbackPath({ code: login.code, state, iss }), 'invalid_state');
    }
    expect((await client.fetch(login.callbackPath, { csrf: false })).status).toBe(302);
  });

  it('refuses a state that already completed a login, even with a fresh valid code', async () => {
    const client = new BffClient(arena.baseUrl);
    const first = await pendingLogin(client);
    expect((await client.fetch(first.callbackPath, { csrf: false })).status).toBe(302);
    // A second browser gets a fresh code; the attacker pairs it with the spent state.
    const other = new BffClient(arena.baseUrl);
    const second = await pendingLogin(other);
    const attacker = new BffClient(arena.baseUrl, client.jar);
    const before = attacker.sessionCookie();
    const response = await arena.guard(() => attacker.fetch(callbackPath({ code: second.code, state: first.state, iss: arena.stack.provider.issuer }), { csrf: false }));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_state');
    expect(setCookiesNamed(response, 'portcullis')).toEqual([]);
    expect(attacker.sessionCookie()).toBe(before);
  });

  it('does not resurrect a session from a callback replayed after logout', async () => {
    const client = new BffClient(arena.baseUrl);
    const login = await pendingLogin(client);
    expect((await client.fetch(login.callbackPath, { csrf: false })).status).toBe(302);
    const logoutUrl = (await client.user()).body['logoutUrl'] as string;
    expect((await client.fetch(logoutUrl, { csrf: false })).status).toBe(302);
    await expectRefusedCallback(client, login.callbackPath, 'invalid_state');
  });
});

describe('authorization code injection (PKCE)', () => {
  it("refuses the attacker's own code spliced into the victim's pending login (login CSRF)", async () => {
    // The victim started a login (state + binding cookie in the victim's browser).
    const victim = new BffClient(arena.baseUrl);
    const victimLogin = await pendingLogin(victim, 'alice');
    // The attacker signs in as himself and keeps his code instead of using it.
    const attacker = new BffClient(arena.baseUrl);
    const attackerLogin = await pendingLogin(attacker, 'bob');
    arena.stack.provider.resetCounts();
    // The victim's browser is made to deliver the attacker's code with the victim's own state.
    const injected = callbackPath({ code: attackerLogin.code, state: victimLogin.state, iss: arena.stack.provider.issuer });
    await expectRefusedCallback(victim, injected, 'invalid_grant');
    // The code_verifier of the victim's state does not match the attacker's code_challenge.
    expect(arena.stack.provider.grantCounts()['authorization_code'] ?? 0).toBe(0);
    // Neither party got a session from the attempt.
    expect((await attacker.user()).status).toBe(401);
  });

  it('refuses codes swapped between two logins of the same browser', async () => {
    const client = new BffClient(arena.baseUrl);
    const one = await pendingLogin(client, 'alice', '/one');
    const two = await pendingLogin(client, 'alice', '/two');
    arena.stack.provider.resetCounts();
    const iss = arena.stack.provider.issuer;
    await expectRefusedCallback(client, callbackPath({ code: two.code, state: one.state, iss }), 'invalid_grant');
    expect(arena.stack.provider.grantCounts()['authorization_code'] ?? 0).toBe(0);
    // The first attempt consumed state one; the other pairing (state two, code one) fails the same way.
    await expectRefusedCallback(client, callbackPath({ code: one.code, state: two.state, iss }), 'invalid_grant');
  });

  it('refuses a real code and state delivered with the binding cookie of another login', async () => {
    const victim = new BffClient(arena.baseUrl);
    const login = await pendingLogin(victim);
    const attacker = new BffClient(arena.baseUrl);
    await pendingLogin(attacker, 'bob');
    // The attacker has a binding cookie of his own, for his own state.
    expect(attacker.jar.get(arena.baseUrl, 'portcullis-login')).toBeTruthy();
    await expectRefusedCallback(attacker, login.callbackPath, 'invalid_state');
    expect((await victim.fetch(login.callbackPath, { csrf: false })).status).toBe(302);
  });
});

describe('a state from another BFF instance', () => {
  let other: BffMiddleware;
  let server: Server;
  let otherUrl: string;

  beforeAll(async () => {
    // Same client and redirect URI, its own store: a state it issued means nothing to the arena's BFF.
    other = createBff({
      issuer: arena.stack.provider.issuer,
      clientId: arena.stack.client.id,
      clientSecret: arena.stack.client.secret,
      baseUrl: arena.baseUrl,
      session: { keys: [randomBytes(32).toString('base64url')] },
      logger: silentLogger,
    });
    const app = createKoaApp();
    app.use(other);
    server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
    otherUrl = `http://localhost:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server?.close(() => resolve());
      server?.closeAllConnections();
    });
    await other?.close();
  });

  it('refuses it with invalid_state and creates nothing', async () => {
    const client = new BffClient(otherUrl);
    // The provider sends the browser to the registered redirect URI (the arena's BFF).
    const login = await pendingLogin(client);
    expect(login.callbackUrl.startsWith(arena.baseUrl)).toBe(true);
    const atArena = new BffClient(arena.baseUrl, client.jar);
    await expectRefusedCallback(atArena, login.callbackPath, 'invalid_state');
  });
});

describe('a code issued to another client, and a mix-up with another provider', () => {
  // A separate provider with two registered clients, each used by its own BFF.
  let provider: DemoProvider;
  const servers: Server[] = [];
  const bffs: Record<'a' | 'b', { bff: BffMiddleware; store: AuditedStore; url: string }> = {} as never;

  const listen = async (): Promise<{ server: Server; url: string }> => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
    servers.push(server);
    return { server, url: `http://localhost:${(server.address() as AddressInfo).port}` };
  };

  beforeAll(async () => {
    const a = await listen();
    const b = await listen();
    const secrets = { a: randomBytes(24).toString('base64url'), b: randomBytes(24).toString('base64url') };
    provider = await startDemoProvider({
      apiAudience: 'http://localhost:1',
      clients: (['a', 'b'] as const).map((name) => ({
        clientId: `client-${name}`,
        clientSecret: secrets[name],
        grantTypes: ['authorization_code', 'refresh_token'] as Array<'authorization_code' | 'refresh_token'>,
        redirectUris: [`${{ a, b }[name].url}/bff/callback`],
        postLogoutRedirectUris: [`${{ a, b }[name].url}/`],
      })),
    });
    for (const [name, { server, url }] of [
      ['a', a],
      ['b', b],
    ] as const) {
      const store = new AuditedStore();
      const bff = createBff({
        issuer: provider.issuer,
        clientId: `client-${name}`,
        clientSecret: secrets[name],
        baseUrl: url,
        // Distinct cookie names: browsers share cookies across ports of one host.
        session: { keys: [randomBytes(32).toString('base64url')], cookieName: `bff-${name}`, store },
        logger: silentLogger,
      });
      const app = createKoaApp();
      app.use(bff);
      server.on('request', app.callback());
      bffs[name] = { bff, store, url };
    }
  });
  afterAll(async () => {
    for (const server of servers) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    for (const { bff, store } of Object.values(bffs)) {
      await bff.close();
      store.close();
    }
    await provider?.stop();
  });

  it("refuses client A's code redeemed through client B's login (invalid_grant), and B stays healthy", async () => {
    const browser = new BffClient(bffs.a.url);
    // A genuine code for client A, not redeemed.
    const codeForA = await pendingLogin(browser, 'alice');
    // A login started at BFF B in the same browser: its state and binding cookie are genuine.
    const atB = new BffClient(bffs.b.url, browser.jar);
    const loginB = await pendingLogin(atB, 'alice');
    provider.resetCounts();
    const before = { size: bffs.b.store.size, sessions: await bffs.b.store.sessions() };
    const response = await atB.fetch(callbackPath({ code: codeForA.code, state: loginB.state, iss: provider.issuer }), { csrf: false });
    const body = (await response.json()) as { error: string };
    expect(response.status, JSON.stringify(body)).toBe(400);
    expect(body.error).toBe('invalid_grant');
    expect(setCookiesNamed(response, 'bff-b')).toEqual([]);
    expect(provider.grantCounts()['authorization_code'] ?? 0).toBe(0);
    expect(await bffs.b.store.sessions()).toEqual(before.sessions);
    expect(bffs.b.store.size).toBeLessThanOrEqual(before.size);
    expect(await bffs.b.store.findIds({ sub: 'alice' })).toEqual([]);
    expect((await atB.fetch('/bff/user')).status).toBe(401);
    // B still logs a user in normally.
    const fresh = new BffClient(bffs.b.url);
    await fresh.login('bob');
    expect((await fresh.fetch('/bff/user')).status).toBe(200);
  });

  it('refuses a callback whose iss names another real provider (mix-up), with a genuine state and code', async () => {
    const client = new BffClient(arena.baseUrl);
    const login = await pendingLogin(client);
    const mixedUp = new URL(login.callbackUrl);
    mixedUp.searchParams.set('iss', provider.issuer);
    await expectRefusedCallback(client, `${mixedUp.pathname}${mixedUp.search}`, 'invalid_request');
    expect((await client.fetch(login.callbackPath, { csrf: false })).status).toBe(302);
  });
});

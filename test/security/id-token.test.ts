/**
 * Attack suite: forged ID tokens. oidc-client-ts does not verify ID token
 * signatures; the BFF does (src/protocol/id-token.ts, jose). Each case gets a
 * real code through the real provider, then the token endpoint's answer is
 * rewritten on its way back to the BFF: only `id_token` is replaced, by a
 * token with exactly one defect (OIDC Core §3.1.3.7, RFC 9700 §2.1.1 nonce).
 *
 * How the forgery gets in: the BFF runs in this process (startDemoStack) and
 * reaches the token endpoint with the global `fetch`, so the test wraps
 * `globalThis.fetch` for that one URL (helpers/attack.ts
 * `interceptTokenEndpoint`) and restores it afterwards. That is a
 * man-in-the-middle between the BFF and the provider without a second
 * server, and discovery, issuer and JWKS stay the real ones. (A separate
 * MITM provider would need its own issuer, which the BFF would then rightly
 * refuse for the discovery issuer check before any ID token is seen.)
 *
 * A control case with the same machinery and a correct forged token (right
 * key, right claims) logs in: every refusal below is due to its one defect.
 * Every refusal: 401 invalid_token, no session cookie, no session record
 * created or changed, the process still healthy.
 */
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discovery, interceptTokenEndpoint, pendingLogin, setCookiesNamed, startArena, type Arena, type PendingLogin } from '../helpers/attack.ts';
import { BffClient } from '../helpers/bff-client.ts';
import { authOf, expireAccessToken } from '../helpers/sessions.ts';

let arena: Arena;
let tokenEndpoint: string;
let attackerKey: CryptoKey;
let attackerJwk: Record<string, unknown>;

beforeAll(async () => {
  arena = await startArena();
  tokenEndpoint = (await discovery(arena.stack.provider.issuer))['token_endpoint']!;
  const pair = await generateKeyPair('RS256', { extractable: true });
  attackerKey = pair.privateKey;
  attackerJwk = await exportJWK(pair.publicKey);
});
afterAll(() => arena?.stop());

const now = () => Math.floor(Date.now() / 1000);

/** Claims a genuine ID token for this login would carry. */
const goodClaims = (login: PendingLogin, sub = 'alice'): JWTPayload => ({
  iss: arena.stack.provider.issuer,
  sub,
  aud: arena.stack.client.id,
  nonce: login.nonce,
  iat: now(),
  exp: now() + 300,
  auth_time: now(),
});

const signedByProvider = (claims: JWTPayload, header: Record<string, unknown> = {}) => arena.stack.provider.signJwt(claims, header);
const signedByAttacker = (claims: JWTPayload, header: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', ...header }).sign(attackerKey);

type Forge = (login: PendingLogin) => Promise<string | undefined>;

/** Runs a login whose token response carries `forge(login)` as id_token (or none when undefined). */
async function loginWithForgedIdToken(forge: Forge): Promise<{ client: BffClient; response: Response; body: Record<string, unknown> }> {
  const client = new BffClient(arena.baseUrl);
  const login = await pendingLogin(client, 'alice');
  const idToken = await forge(login);
  const intercept = interceptTokenEndpoint(tokenEndpoint, (body, request) => {
    if (request.get('grant_type') !== 'authorization_code') return body;
    const { id_token: _dropped, ...rest } = body;
    return idToken === undefined ? rest : { ...rest, id_token: idToken };
  });
  try {
    const response = await client.fetch(login.callbackPath, { csrf: false });
    const body = response.status === 302 ? {} : ((await response.json()) as Record<string, unknown>);
    expect(intercept.exchanges.map((e) => e.request.get('grant_type'))).toEqual(['authorization_code']);
    return { client, response, body };
  } finally {
    intercept.restore();
  }
}

const cases: Array<[string, Forge]> = [
  ['alg none (unsecured JWT)', async (l) => new UnsecuredJWT(goodClaims(l)).encode()],
  [
    'alg none with the provider kid',
    async (l) => `${Buffer.from(JSON.stringify({ alg: 'none', kid: arena.stack.provider.currentKid() })).toString('base64url')}.${Buffer.from(JSON.stringify(goodClaims(l))).toString('base64url')}.`,
  ],
  ['HS256 keyed with the client secret (algorithm confusion)', async (l) => new SignJWT(goodClaims(l)).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(arena.stack.client.secret))],
  ['signed by another key under the provider kid', async (l) => signedByAttacker(goodClaims(l), { kid: arena.stack.provider.currentKid() })],
  ['signed by another key under an unknown kid', async (l) => signedByAttacker(goodClaims(l), { kid: 'attacker-key' })],
  ['signed by another key, embedded as a jwk header', async (l) => signedByAttacker(goodClaims(l), { jwk: attackerJwk })],
  ['signed by another key, advertised through jku', async (l) => signedByAttacker(goodClaims(l), { kid: 'attacker-key', jku: 'http://localhost:1/jwks' })],
  [
    'provider signature, payload altered afterwards (sub)',
    async (l) => {
      const [h, , s] = (await signedByProvider(goodClaims(l))).split('.');
      return `${h}.${Buffer.from(JSON.stringify({ ...goodClaims(l), sub: 'admin' })).toString('base64url')}.${s}`;
    },
  ],
  ['provider signature stripped', async (l) => (await signedByProvider(goodClaims(l))).replace(/\.[^.]+$/, '.')],
  ['wrong iss', async (l) => signedByProvider({ ...goodClaims(l), iss: 'https://evil.example.com' })],
  ['iss with a trailing slash', async (l) => signedByProvider({ ...goodClaims(l), iss: `${arena.stack.provider.issuer}/` })],
  ['wrong aud', async (l) => signedByProvider({ ...goodClaims(l), aud: 'another-client' })],
  ['aud array with another client first and no azp', async (l) => signedByProvider({ ...goodClaims(l), aud: ['another-client', arena.stack.client.id] })],
  ['aud array with azp naming another client', async (l) => signedByProvider({ ...goodClaims(l), aud: [arena.stack.client.id, 'another-client'], azp: 'another-client' })],
  ['expired (exp an hour ago)', async (l) => signedByProvider({ ...goodClaims(l), iat: now() - 3700, exp: now() - 3600 })],
  ['old iat (an hour ago), exp still in the future', async (l) => signedByProvider({ ...goodClaims(l), iat: now() - 3600, exp: now() + 3600 })],
  ['future iat (in an hour)', async (l) => signedByProvider({ ...goodClaims(l), iat: now() + 3600, exp: now() + 7200 })],
  ['nbf in the future', async (l) => signedByProvider({ ...goodClaims(l), nbf: now() + 3600 })],
  ['no exp', async (l) => signedByProvider({ ...goodClaims(l), exp: undefined })],
  ['wrong nonce', async (l) => signedByProvider({ ...goodClaims(l), nonce: `${l.nonce}x` })],
  ['nonce of another login', async (l) => signedByProvider({ ...goodClaims(l), nonce: 'n'.repeat(43) })],
  ['no nonce', async (l) => signedByProvider({ ...goodClaims(l), nonce: undefined })],
  ['no sub', async (l) => signedByProvider({ ...goodClaims(l), sub: undefined })],
  ['empty sub', async (l) => signedByProvider({ ...goodClaims(l), sub: '' })],
  ['not a JWT', async () => 'not-a-jwt'],
  ['a JWE-shaped token (five parts)', async () => 'a.b.c.d.e'],
  ['no id_token at all', async () => undefined],
];

describe('ID tokens with one defect are refused at the callback', () => {
  it('control: a forged token with the right key and right claims logs in (the machinery works)', async () => {
    const { client, response } = await loginWithForgedIdToken(async (l) => signedByProvider(goodClaims(l)));
    expect(response.status).toBe(302);
    expect((await client.user()).status).toBe(200);
  });

  it.each(cases)('%s → 401 invalid_token, no session', async (_name, forge) => {
    const { client, response, body } = await arena.guard(() => loginWithForgedIdToken(forge));
    // No session first (the guard checked the store and the sentinel), then the status.
    expect(response.headers.get('location')).toBeNull();
    expect(setCookiesNamed(response, 'portcullis')).toEqual([]);
    expect(client.sessionCookie()).toBeUndefined();
    expect(await arena.store.findIds({ sub: 'admin' })).toEqual([]);
    // The error never echoes the token.
    expect(JSON.stringify(body)).not.toMatch(/eyJ/);
    expect(response.status, JSON.stringify(body)).toBe(401);
    expect(body['error']).toBe('invalid_token');
  });
});

describe('ID tokens in refresh responses', () => {
  /** A signed-in tab whose access token is marked expired, so the next proxied call refreshes. */
  async function expiringTab(): Promise<BffClient> {
    const tab = new BffClient(arena.baseUrl);
    await tab.login('alice');
    await expireAccessToken(arena.stack.bff, tab);
    return tab;
  }

  const refreshCases: Array<[string, (sub: string) => Promise<string>]> = [
    ['about another subject', async () => signedByProvider({ iss: arena.stack.provider.issuer, sub: 'bob', aud: arena.stack.client.id, exp: now() + 300 })],
    ['alg none', async (sub) => new UnsecuredJWT({ iss: arena.stack.provider.issuer, sub, aud: arena.stack.client.id, iat: now(), exp: now() + 300 }).encode()],
    [
      'signed by another key',
      async (sub) => signedByAttacker({ iss: arena.stack.provider.issuer, sub, aud: arena.stack.client.id, iat: now(), exp: now() + 300 }, { kid: arena.stack.provider.currentKid() }),
    ],
    ['for another audience', async (sub) => signedByProvider({ iss: arena.stack.provider.issuer, sub, aud: 'another-client', exp: now() + 300 })],
  ];

  it.each(refreshCases)('refuses a refreshed ID token %s: 401, the session keeps its old tokens', async (_name, forge) => {
    const tab = await expiringTab();
    const before = (await authOf(arena.stack.bff, tab))!;
    const forged = await forge(before.sub);
    const intercept = interceptTokenEndpoint(tokenEndpoint, (body, request) => (request.get('grant_type') === 'refresh_token' ? { ...body, id_token: forged } : body));
    let response: Response;
    try {
      arena.stack.api.requests.length = 0;
      response = await tab.fetch('/api/todos');
    } finally {
      intercept.restore();
    }
    expect(intercept.exchanges).toHaveLength(1);
    const body = (await response.json()) as { error: string };
    // Nothing from the refused response was stored or used.
    const after = (await authOf(arena.stack.bff, tab))!;
    expect(after.sub).toBe(before.sub);
    expect(after.tokens).toEqual(before.tokens);
    expect(arena.stack.api.requests).toHaveLength(0);
    await arena.expectHealthy();
    expect(response.status, JSON.stringify(body)).toBe(401);
    expect(body.error).toBe('invalid_token');
  });
});

/**
 * `portcullis check` against the real demo provider, as a child process:
 * the client credentials are tried with a token request that cannot succeed
 * (right secret: OK; wrong secret, wrong method or unknown client: a failed
 * check naming clientSecret / clientAuthentication and their variables),
 * and what logout and refresh can count on is reported. The secret is never
 * printed, whichever way the check goes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoProvider, type DemoProvider } from '../../demo/provider/create-provider.ts';
import { newSessionKey, runPortcullis } from './server-harness.ts';

const SECRET = 'check-right-secret-7c1e99d2a4b8';
const WRONG = 'check-wrong-secret-0f3b5d6e8a21';
// Characters that RFC 6749 form-urlencoding changes: the login sends them as they are.
const SPECIAL = 'check+special/secret:4f&9=a%20b';
const BASE_URL = 'http://localhost:3998';
const sessionKey = newSessionKey();
let provider: DemoProvider;

beforeAll(async () => {
  provider = await startDemoProvider({
    host: 'localhost',
    apiAudience: 'http://localhost:4998',
    clients: [
      { clientId: 'check-basic', clientSecret: SECRET, grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [`${BASE_URL}/bff/callback`] },
      { clientId: 'check-machine', clientSecret: SECRET, grantTypes: ['client_credentials'] },
      { clientId: 'check-special', clientSecret: SPECIAL, grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [`${BASE_URL}/bff/callback`] },
    ],
  });
});

afterAll(async () => {
  await provider?.stop();
});

const check = (env: Record<string, string>) =>
  runPortcullis(['check'], {
    PORTCULLIS_ISSUER: provider.issuer,
    PORTCULLIS_CLIENT_ID: 'check-basic',
    PORTCULLIS_CLIENT_SECRET: SECRET,
    PORTCULLIS_BASE_URL: BASE_URL,
    PORTCULLIS_SESSION_KEYS: sessionKey,
    ...env,
  });

function expectNoSecret(output: string): void {
  for (const secret of [SECRET, WRONG, SPECIAL, encodeURIComponent(SPECIAL), encodeURIComponent(SECRET), Buffer.from(`check-basic:${SECRET}`).toString('base64'), sessionKey])
    expect(output).not.toContain(secret);
}

describe.concurrent('portcullis check: client credentials and provider features', () => {
  it('the right secret passes, and revocation, end session and offline_access are reported', async () => {
    const { code, output } = await check({});
    expect(code, output).toBe(0);
    expect(output).toContain('portcullis check: OK');
    expect(output).toMatch(/client\s+check-basic at http:\/\/localhost:\d+\/token \(client_secret_basic\): OK \(credentials accepted/);
    expect(output).toMatch(/revocation\s+http:\/\/localhost:\d+\/token\/revocation: logout revokes the refresh token/);
    expect(output).toMatch(/endSession\s+http:\/\/localhost:\d+\/session\/end: logout also ends the session at the provider/);
    expect(output).toMatch(/refresh\s+offline_access requested and in the provider's scopes_supported/);
    expectNoSecret(output);
  });

  it('client_secret_post passes too', async () => {
    const { code, output } = await check({ PORTCULLIS_CLIENT_AUTHENTICATION: 'client_secret_post' });
    expect(code, output).toBe(0);
    expect(output).toContain('(client_secret_post): OK');
    expectNoSecret(output);
  });

  it('a wrong secret fails the check, naming clientSecret, clientAuthentication and the variables, never the secret', async () => {
    const { code, output } = await check({ PORTCULLIS_CLIENT_SECRET: WRONG });
    expect(code).toBe(1);
    expect(output).toContain('portcullis check: FAILED (client)');
    expect(output).toContain("FAILED: the provider refused the client's credentials (invalid_client");
    expect(output).toContain('check "clientSecret" (PORTCULLIS_CLIENT_SECRET or PORTCULLIS_CLIENT_SECRET_FILE)');
    expect(output).toContain('"clientAuthentication" (client_secret_basic)');
    expectNoSecret(output);
  });

  it('a secret read from a file that is wrong fails the same way', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const file = `${mkdtempSync(`${tmpdir()}/portcullis-check-`)}/secret`;
    writeFileSync(file, `${WRONG}\n`);
    const { code, output } = await runPortcullis(['check'], {
      PORTCULLIS_ISSUER: provider.issuer,
      PORTCULLIS_CLIENT_ID: 'check-basic',
      PORTCULLIS_CLIENT_SECRET_FILE: file,
      PORTCULLIS_BASE_URL: BASE_URL,
      PORTCULLIS_SESSION_KEYS: sessionKey,
    });
    expect(code).toBe(1);
    expect(output).toContain('FAILED (client)');
    expectNoSecret(output);
  });

  it('an unknown client id and a client without the authorization_code grant fail', async () => {
    const unknown = await check({ PORTCULLIS_CLIENT_ID: 'no-such-client' });
    expect(unknown.code).toBe(1);
    expect(unknown.output).toContain('invalid_client');
    expect(unknown.output).toContain('"clientId"');
    const machine = await check({ PORTCULLIS_CLIENT_ID: 'check-machine' });
    expect(machine.code).toBe(1);
    expect(machine.output).toContain('FAILED (client)');
    expect(machine.output).toContain('register the client for the authorization_code grant');
    expectNoSecret(unknown.output + machine.output);
  });

  it('a secret with characters that need form-urlencoding (+ / : & = %) passes with client_secret_basic (RFC 6749 §2.3.1) and client_secret_post', async () => {
    const basic = await check({ PORTCULLIS_CLIENT_ID: 'check-special', PORTCULLIS_CLIENT_SECRET: SPECIAL });
    expect(basic.code, basic.output).toBe(0);
    const post = await check({ PORTCULLIS_CLIENT_ID: 'check-special', PORTCULLIS_CLIENT_SECRET: SPECIAL, PORTCULLIS_CLIENT_AUTHENTICATION: 'client_secret_post' });
    expect(post.code, post.output).toBe(0);
    expectNoSecret(basic.output + post.output);
  });

  it('a scope without offline_access says sessions last one access token', async () => {
    const { code, output } = await check({ PORTCULLIS_SCOPE: 'openid profile' });
    expect(code, output).toBe(0);
    expect(output).toMatch(/refresh\s+offline_access is not in "scope": sessions will last only as long as one access token/);
    expect(output).toMatch(/warning\s+"scope" has no offline_access/);
  });
});

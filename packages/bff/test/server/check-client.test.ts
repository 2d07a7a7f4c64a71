/**
 * checkClient against a provider that is not the demo's: what it sends (an
 * invalid code, authenticated like the BFF), how each answer is read, and the
 * notes for a provider without revocation, end session or offline_access
 * (Entra ID and Google look like that).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkClient, logoutRows, type ClientCheckInput } from '../../src/server/check-client.ts';

interface Seen {
  authorization: string | undefined;
  body: URLSearchParams;
}

let server: Server;
let issuer: string;
let discovery: Record<string, unknown> = {};
type Answer = { status: number; body: unknown };
let answer: Answer | ((seen: Seen) => Answer) = { status: 400, body: { error: 'invalid_grant' } };
const seen: Seen[] = [];

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => resolve(data));
  });

beforeAll(async () => {
  server = createServer((req, res) => {
    void (async () => {
      if (req.url === '/.well-known/openid-configuration') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, token_endpoint: `${issuer}/token`, ...discovery }));
      } else if (req.url === '/token' && req.method === 'POST') {
        const request = { authorization: req.headers.authorization, body: new URLSearchParams(await read(req)) };
        seen.push(request);
        const { status, body } = typeof answer === 'function' ? answer(request) : answer;
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      } else {
        res.writeHead(404).end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const SECRET = 'p@ss:word/with&special=chars';
const input = (extra: Partial<ClientCheckInput> = {}): ClientCheckInput => ({
  issuer,
  clientId: 'app',
  clientSecret: SECRET,
  clientAuthentication: 'client_secret_basic',
  redirectUri: 'https://app.example.com/bff/callback',
  scope: 'openid offline_access',
  logout: { revokeTokens: true },
  ...extra,
});

describe('checkClient', () => {
  it('sends an invalid code with the redirect URI, authenticated as the login is (basic form-urlencoded; or post)', async () => {
    answer = { status: 400, body: { error: 'invalid_grant' } };
    discovery = {};
    expect((await checkClient(input())).ok).toBe(true);
    const basic = seen.at(-1)!;
    expect(basic.body.get('grant_type')).toBe('authorization_code');
    expect(basic.body.get('code')).toMatch(/^portcullis-check-[A-Za-z0-9_-]{20,}$/);
    expect(basic.body.get('redirect_uri')).toBe('https://app.example.com/bff/callback');
    expect(basic.body.get('client_secret')).toBeNull();
    // As the login's code exchange sends it: the secret form-urlencoded (RFC 6749 §2.3.1).
    expect(Buffer.from(basic.authorization!.replace(/^Basic /, ''), 'base64').toString()).toBe(`app:${encodeURIComponent(SECRET)}`);

    expect((await checkClient(input({ clientAuthentication: 'client_secret_post' }))).ok).toBe(true);
    const post = seen.at(-1)!;
    expect(post.authorization).toBeUndefined();
    expect(post.body.get('client_id')).toBe('app');
    expect(post.body.get('client_secret')).toBe(SECRET);
  });

  it('reads invalid_client, unauthorized_client and a 5xx as failures that name the options, never the secret', async () => {
    discovery = {};
    for (const [status, body, expected] of [
      [
        401,
        { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' },
        /refused the client's credentials \(invalid_client: AADSTS7000215.*check "clientSecret" \(PORTCULLIS_CLIENT_SECRET or PORTCULLIS_CLIENT_SECRET_FILE\)/,
      ],
      [400, { error: 'unauthorized_client' }, /does not let this client complete logins \(unauthorized_client\).*"clientAuthentication" \(client_secret_basic\)/],
      [503, 'down', /FAILED: the token endpoint answered HTTP 503/],
      [400, { error: 'invalid_scope', error_description: `echoing ${SECRET}` }, /unexpected answer to a token request/],
    ] as const) {
      answer = { status, body };
      const report = await checkClient(input());
      expect(report.ok, JSON.stringify(body)).toBe(false);
      expect(report.rows[0]![1]).toMatch(expected);
    }
  });

  it('a provider that wants basic credentials form-urlencoded (RFC 6749 §2.3.1) passes: the check sends them as the login does, once', async () => {
    discovery = {};
    // As oidc-provider does: the raw secret is "not properly encoded", the encoded one passes.
    answer = (request) =>
      Buffer.from(request.authorization!.replace(/^Basic /, ''), 'base64').toString() === `app:${encodeURIComponent(SECRET)}`
        ? { status: 400, body: { error: 'invalid_grant' } }
        : { status: 400, body: { error: 'invalid_request', error_description: 'client_id and client_secret in the authorization header are not properly encoded' } };
    const before = seen.length;
    const report = await checkClient(input());
    expect(report.ok).toBe(true);
    expect(seen.length - before).toBe(1);
    expect(JSON.stringify(report)).not.toContain(SECRET);
    expect(JSON.stringify(report)).not.toContain(encodeURIComponent(SECRET));
  });

  it('warns about a client authentication method the provider does not list', async () => {
    answer = { status: 400, body: { error: 'invalid_grant' } };
    discovery = { token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt'] };
    const report = await checkClient(input());
    expect(report.warnings.join('\n')).toContain('does not list client_secret_basic in token_endpoint_auth_methods_supported (client_secret_post, private_key_jwt)');
  });

  it('a provider without revocation, end session or offline_access: notes and warnings, not a failure', async () => {
    answer = { status: 400, body: { error: 'invalid_grant' } };
    discovery = { scopes_supported: ['openid', 'email', 'profile'] };
    const report = await checkClient(input());
    expect(report.ok).toBe(true);
    const rows = Object.fromEntries(report.rows);
    expect(rows['revocation']).toMatch(/^not advertised: logout cannot revoke tokens/);
    expect(rows['endSession']).toMatch(/^not advertised: logout ends the session here only/);
    expect(rows['refresh']).toContain("offline_access requested but not in the provider's scopes_supported: sessions will last only as long as one access token");
    expect(report.warnings.join('\n')).toContain('the provider does not advertise offline_access');

    discovery = { revocation_endpoint: `${issuer}/revoke`, end_session_endpoint: `${issuer}/logout` };
    const unknown = Object.fromEntries((await checkClient(input({ logout: { revokeTokens: false } }))).rows);
    expect(unknown['revocation']).toContain('logout.revokeTokens is off');
    expect(unknown['refresh']).toContain('does not publish scopes_supported');
  });

  it('no token endpoint, or no discovery document: not OK', async () => {
    discovery = { token_endpoint: undefined };
    expect((await checkClient(input())).rows[0]![1]).toContain('the discovery document has no token_endpoint');
    const gone = await checkClient(input({ issuer: 'http://127.0.0.1:9' }));
    expect(gone.ok).toBe(false);
    expect(gone.rows[0]![1]).toContain('not checked: the discovery document failed');
  });
});

describe('logoutRows: what logout will do with this provider', () => {
  const metadata = {
    authorization_endpoint: 'https://auth.example.com/oauth2/authorize',
    end_session_endpoint: 'https://id.example.com/logout',
    backchannel_logout_supported: true,
    frontchannel_logout_supported: true,
  };
  const base = {
    issuer: 'https://id.example.com',
    clientId: 'app',
    clientSecret: 's',
    clientAuthentication: 'client_secret_basic',
    redirectUri: 'https://app.example.com/bff/callback',
    scope: 'openid',
  } as const;

  it('end-session with the hints sent, back- and front-channel registration URLs', () => {
    const rows = Object.fromEntries(logoutRows({ ...base, logout: { revokeTokens: true, idTokenHint: true }, provider: 'okta', profile: { logout: { style: 'oidc', logoutHint: false } } }, metadata));
    expect(rows['endSession']).toBe('https://id.example.com/logout: logout also ends the session at the provider (client_id, post_logout_redirect_uri, state, id_token_hint) (provider "okta")');
    expect(rows['backchannel']).toContain('register https://app.example.com/bff/backchannel-logout');
    expect(rows['frontchannel']).toContain('register https://app.example.com/bff/frontchannel-logout');
  });

  it("Cognito: /logout on the authorization endpoint's domain; Google: none, local logout; nothing advertised", () => {
    const cognito = Object.fromEntries(logoutRows({ ...base, logout: { revokeTokens: true }, provider: 'cognito', profile: { logout: { style: 'cognito', logoutHint: false } } }, metadata));
    expect(cognito['endSession']).toMatch(/^https:\/\/auth\.example\.com\/logout \(provider "cognito"\): logout also ends the session/);
    const google = Object.fromEntries(logoutRows({ ...base, logout: { revokeTokens: true }, provider: 'google', profile: { logout: { style: 'none', logoutHint: false } } }, {}));
    expect(google['endSession']).toMatch(/^none \(provider "google"\): logout ends the session here only/);
    expect(google['backchannel']).toMatch(/^not advertised/);
    expect(google['frontchannel']).toBe('not advertised');
    const generic = Object.fromEntries(logoutRows({ ...base, logout: { revokeTokens: true } }, metadata));
    expect(generic['endSession']).toContain('state, no id_token_hint, logout_hint)');
  });
});

describe('refresh row with a provider profile', () => {
  it('keycloak and cognito issue refresh tokens without offline_access; google asks with access_type=offline', async () => {
    answer = { status: 400, body: { error: 'invalid_grant' } };
    discovery = {};
    for (const provider of ['keycloak', 'cognito', 'google']) {
      const report = await checkClient({ ...input(), scope: 'openid profile email', provider });
      expect(Object.fromEntries(report.rows)['refresh']).toContain(`the ${provider} profile`);
      expect(report.warnings.join('\n')).not.toContain('offline_access');
    }
  });
});

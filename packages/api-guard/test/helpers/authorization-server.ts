// A tiny local authorization server for tests: discovery, JWKS and an
// introspection endpoint on a free port, plus a jose-based token minter.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export interface IntrospectionRequest {
  token: string | null;
  tokenTypeHint: string | null;
  authorization: string | undefined;
  contentType: string | undefined;
}

export interface FakeAuthorizationServerOptions {
  /** Path of the issuer (e.g. '/tenant'); default none. */
  issuerPath?: string;
  /** Serve only RFC 8414 metadata (404 for openid-configuration). */
  oauthMetadataOnly?: boolean;
  /** Override the issuer value the metadata claims. */
  metadataIssuer?: string;
}

export interface FakeAuthorizationServer {
  readonly issuer: string;
  readonly origin: string;
  /** The key the JWKS currently serves and tokens are signed with. */
  key: SigningKey;
  /** More keys the JWKS serves besides `key`. */
  additionalKeys: SigningKey[];
  /** Requests seen, per endpoint. */
  readonly counts: { discovery: number; jwks: number; introspection: number };
  /** Every introspection request (for credential checks). */
  readonly introspectionRequests: IntrospectionRequest[];
  /** Status to answer on discovery / JWKS (200 = normal). */
  discoveryStatus: number;
  jwksStatus: number;
  /** The introspection answer for a token. */
  introspect: (token: string) => Record<string, unknown>;
  /** Replaces the signing key by a new one with a new kid; the JWKS serves only the new key. */
  rotate(): Promise<SigningKey>;
  /** Mints an RFC 9068 access token (defaults: typ at+jwt, iss, aud, client_id, iat, exp in 5 min). */
  sign(claims?: Record<string, unknown>, options?: { key?: SigningKey; header?: Record<string, unknown>; omit?: string[] }): Promise<string>;
  close(): Promise<void>;
}

let kidCounter = 0;

export async function createSigningKey(alg = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `key-${++kidCounter}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, publicJwk };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export const AUDIENCE = 'https://api.example.test';
export const CLIENT_ID = 'orders-app';

export async function startAuthorizationServer(options: FakeAuthorizationServerOptions = {}): Promise<FakeAuthorizationServer> {
  const issuerPath = options.issuerPath ?? '';
  let server: Server;
  const state: FakeAuthorizationServer = {
    issuer: '',
    origin: '',
    key: await createSigningKey(),
    additionalKeys: [],
    counts: { discovery: 0, jwks: 0, introspection: 0 },
    introspectionRequests: [],
    discoveryStatus: 200,
    jwksStatus: 200,
    introspect: () => ({ active: false }),
    async rotate() {
      state.key = await createSigningKey(state.key.alg);
      return state.key;
    },
    async sign(claims = {}, { key = state.key, header = {}, omit = [] } = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload: JWTPayload = {
        iss: state.issuer,
        aud: AUDIENCE,
        client_id: CLIENT_ID,
        sub: 'user-42',
        iat: now,
        exp: now + 300,
        jti: `jti-${now}-${Math.random()}`,
        scope: 'orders:read',
        ...claims,
      };
      for (const claim of omit) delete payload[claim];
      return new SignJWT(payload).setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header }).sign(key.privateKey);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };

  server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const metadata = () => ({
        issuer: options.metadataIssuer ?? state.issuer,
        jwks_uri: `${state.origin}/jwks`,
        introspection_endpoint: `${state.origin}/introspect`,
        token_endpoint: `${state.origin}/token`,
      });
      if (path === `${issuerPath}/.well-known/openid-configuration` && !options.oauthMetadataOnly) {
        state.counts.discovery++;
        if (state.discoveryStatus !== 200) return json(res, state.discoveryStatus, { error: 'down' });
        return json(res, 200, metadata());
      }
      if (path === `/.well-known/oauth-authorization-server${issuerPath}`) {
        state.counts.discovery++;
        if (state.discoveryStatus !== 200) return json(res, state.discoveryStatus, { error: 'down' });
        return json(res, 200, metadata());
      }
      if (path === '/jwks') {
        state.counts.jwks++;
        if (state.jwksStatus !== 200) return json(res, state.jwksStatus, { error: 'down' });
        return json(res, 200, { keys: [state.key, ...state.additionalKeys].map((k) => k.publicJwk) });
      }
      if (path === '/introspect' && req.method === 'POST') {
        state.counts.introspection++;
        const params = new URLSearchParams(await readBody(req));
        const token = params.get('token');
        state.introspectionRequests.push({
          token,
          tokenTypeHint: params.get('token_type_hint'),
          authorization: req.headers.authorization,
          contentType: req.headers['content-type'],
        });
        return json(res, 200, token === null ? { active: false } : state.introspect(token));
      }
      json(res, 404, { error: 'not_found' });
    })().catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  Object.assign(state, { origin: `http://127.0.0.1:${port}`, issuer: `http://127.0.0.1:${port}${issuerPath}` });
  return state;
}

/** A port with nothing listening (bound, then released). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The BFF's own provider requests: client authentication (basic with
 * form-encoded parts, post, private_key_jwt), DPoP proofs with one retry on
 * `use_dpop_nonce` and the nonce remembered, and how answers become errors.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, decodeJwt, EmbeddedJWK, jwtVerify } from 'jose';
import { ErrorResponse } from 'oidc-client-ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TemporarilyUnavailable } from '../../src/errors.ts';
import { authenticateClient } from '../../src/protocol/client-auth.ts';
import { readClientKey } from '../../src/protocol/client-key.ts';
import { generateDpopKey } from '../../src/protocol/dpop-key.ts';
import { DpopNonces } from '../../src/protocol/dpop-nonces.ts';
import { checkAnswer, postToProvider } from '../../src/protocol/token-endpoint.ts';

interface Seen {
  headers: Record<string, string | string[] | undefined>;
  form: URLSearchParams;
}
let server: Server;
let url: string;
const seen: Seen[] = [];
/** What the fake token endpoint answers next (first-in first-out); default 200 with a token. */
const answers: Array<{ status: number; headers?: Record<string, string>; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ headers: req.headers, form: new URLSearchParams(body) });
      const next = answers.shift() ?? { status: 200, body: JSON.stringify({ access_token: 'AT', token_type: 'DPoP', expires_in: 60 }) };
      res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers }).end(next.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
});
afterAll(() => void server.close());

const secretAuth = { method: 'client_secret_basic' as const, clientId: 'app id', clientSecret: 's+c/r:t&=%' };

describe('client authentication', () => {
  it('client_secret_basic form-encodes both parts before base64 (RFC 6749 §2.3.1); post sends them in the body', async () => {
    const headers: Record<string, string> = {};
    await authenticateClient(secretAuth, new URLSearchParams(), headers);
    expect(Buffer.from(headers['authorization']!.slice(6), 'base64').toString()).toBe('app%20id:s%2Bc%2Fr%3At%26%3D%25');
    const body = new URLSearchParams();
    await authenticateClient({ ...secretAuth, method: 'client_secret_post' }, body, {});
    expect(Object.fromEntries(body)).toEqual({ client_id: 'app id', client_secret: 's+c/r:t&=%' });
  });

  it('private_key_jwt: an assertion signed with the client key, iss = sub = client_id, aud = issuer, 60 s, unique jti', async () => {
    const key = readClientKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const config = { method: 'private_key_jwt' as const, clientId: 'bff', key, issuer: 'https://id.example.com' };
    const body = new URLSearchParams();
    await authenticateClient(config, body, {});
    expect(body.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const { payload, protectedHeader } = await jwtVerify(body.get('client_assertion')!, createLocalJWKSet({ keys: [key.publicJwk as never] }), {
      issuer: 'bff',
      subject: 'bff',
      audience: 'https://id.example.com',
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: key.kid });
    expect(payload.exp! - payload.iat!).toBe(60);
    const second = new URLSearchParams();
    await authenticateClient(config, second, {});
    expect(decodeJwt(second.get('client_assertion')!).jti).not.toBe(payload.jti);
  });
});

describe('postToProvider', () => {
  it('retries once with the nonce of a use_dpop_nonce answer, with a fresh proof, and remembers it for the next request', async () => {
    seen.length = 0;
    answers.push({ status: 400, headers: { 'dpop-nonce': 'nonce-1' }, body: JSON.stringify({ error: 'use_dpop_nonce' }) });
    const nonces = new DpopNonces();
    const key = generateDpopKey('ES256');
    const answer = await postToProvider({ url, form: { grant_type: 'refresh_token', refresh_token: 'RT' }, auth: secretAuth, dpop: { key, nonces } });
    expect(answer.status).toBe(200);
    expect(seen).toHaveLength(2);
    const first = (await jwtVerify(String(seen[0]!.headers['dpop']), EmbeddedJWK)).payload;
    const second = (await jwtVerify(String(seen[1]!.headers['dpop']), EmbeddedJWK)).payload;
    expect(first).not.toHaveProperty('nonce');
    expect(second).toMatchObject({ nonce: 'nonce-1', htm: 'POST', htu: url });
    expect(second.jti).not.toBe(first.jti);
    expect(seen[1]!.form.get('refresh_token')).toBe('RT');

    seen.length = 0;
    await postToProvider({ url, form: { grant_type: 'refresh_token' }, auth: secretAuth, dpop: { key, nonces } });
    expect(seen).toHaveLength(1);
    expect((await jwtVerify(String(seen[0]!.headers['dpop']), EmbeddedJWK)).payload).toMatchObject({ nonce: 'nonce-1' });
  });

  it('does not retry a second time, nor without DPoP', async () => {
    seen.length = 0;
    answers.push({ status: 400, body: JSON.stringify({ error: 'use_dpop_nonce' }) }, { status: 400, body: JSON.stringify({ error: 'use_dpop_nonce' }) });
    const answer = await postToProvider({ url, form: {}, auth: secretAuth, dpop: { key: generateDpopKey('EdDSA'), nonces: new DpopNonces() } });
    expect(answer.json['error']).toBe('use_dpop_nonce');
    expect(seen).toHaveLength(2);
    seen.length = 0;
    answers.push({ status: 400, body: JSON.stringify({ error: 'use_dpop_nonce' }) });
    await postToProvider({ url, form: {}, auth: secretAuth });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers['dpop']).toBeUndefined();
  });
});

describe('checkAnswer', () => {
  it('an OAuth error is an ErrorResponse (its description kept); anything else not 2xx is TemporarilyUnavailable', () => {
    expect(checkAnswer({ status: 200, json: { a: 1 } }, 'token endpoint')).toEqual({ a: 1 });
    const oauth = (() => {
      try {
        checkAnswer({ status: 400, json: { error: 'invalid_grant', error_description: 'gone' } }, 'token endpoint');
      } catch (err) {
        return err;
      }
    })();
    expect(oauth).toBeInstanceOf(ErrorResponse);
    expect(oauth).toMatchObject({ error: 'invalid_grant', error_description: 'gone' });
    expect(() => checkAnswer({ status: 503, json: {} }, 'token endpoint')).toThrow(TemporarilyUnavailable);
  });
});

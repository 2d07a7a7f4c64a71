/**
 * fetchUserinfo: claims about the same subject only (OIDC Core §5.3.2),
 * refusals as invalid_token, provider failures as temporarily unavailable.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, EmbeddedJWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidToken, TemporarilyUnavailable } from '../../src/errors.ts';
import { generateDpopKey } from '../../src/protocol/dpop-key.ts';
import { fetchUserinfo } from '../../src/protocol/userinfo.ts';

let server: Server;
let url: string;
let answer: { status: number; body: string; type?: string } = { status: 200, body: '{}' };
let seen: string | undefined;
let seenProof: string | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen = req.headers.authorization;
    seenProof = typeof req.headers['dpop'] === 'string' ? req.headers['dpop'] : undefined;
    res.writeHead(answer.status, { 'content-type': answer.type ?? 'application/json' }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/userinfo`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const verify = { keys: async () => createRemoteJWKSet(new URL(`${url}/jwks`)), issuer: 'https://id.example.com', clientId: 'app' };

describe('fetchUserinfo', () => {
  it('sends a DPoP-bound token as DPoP with a proof for this GET (ath, nonce); a bearer token without one', async () => {
    answer = { status: 200, body: JSON.stringify({ sub: 'alice' }) };
    const key = generateDpopKey('ES256');
    await fetchUserinfo(url, { scheme: 'DPoP', token: 'bound', key }, 'alice', verify, 'n1');
    expect(seen).toBe('DPoP bound');
    const { payload } = await jwtVerify(seenProof!, EmbeddedJWK, { typ: 'dpop+jwt' });
    expect(payload).toMatchObject({ htm: 'GET', htu: url, nonce: 'n1', ath: createHash('sha256').update('bound').digest('base64url') });
    await fetchUserinfo(url, { scheme: 'Bearer', token: 'plain' }, 'alice', verify);
    expect(seen).toBe('Bearer plain');
    expect(seenProof).toBeUndefined();
  });

  it('returns the claims with the bearer token sent', async () => {
    answer = { status: 200, body: JSON.stringify({ sub: 'alice', email: 'a@example.com' }) };
    expect(await fetchUserinfo(url, { scheme: 'Bearer', token: 'at-1' }, 'alice', verify)).toEqual({ sub: 'alice', email: 'a@example.com' });
    expect(seen).toBe('Bearer at-1');
  });

  it('refuses claims about another subject, or none, with invalid_token', async () => {
    for (const body of [{ sub: 'mallory' }, { email: 'x' }]) {
      answer = { status: 200, body: JSON.stringify(body) };
      await expect(fetchUserinfo(url, { scheme: 'Bearer', token: 'at' }, 'alice', verify)).rejects.toBeInstanceOf(InvalidToken);
    }
    answer = { status: 200, body: 'not json' };
    await expect(fetchUserinfo(url, { scheme: 'Bearer', token: 'at' }, 'alice', verify)).rejects.toBeInstanceOf(InvalidToken);
    answer = { status: 200, body: '[]' };
    await expect(fetchUserinfo(url, { scheme: 'Bearer', token: 'at' }, 'alice', verify)).rejects.toBeInstanceOf(InvalidToken);
  });

  it('a refused token is invalid_token; a provider failure is temporary', async () => {
    answer = { status: 401, body: '' };
    await expect(fetchUserinfo(url, { scheme: 'Bearer', token: 'at' }, 'alice', verify)).rejects.toBeInstanceOf(InvalidToken);
    answer = { status: 503, body: '' };
    await expect(fetchUserinfo(url, { scheme: 'Bearer', token: 'at' }, 'alice', verify)).rejects.toBeInstanceOf(TemporarilyUnavailable);
    await expect(fetchUserinfo('http://127.0.0.1:9/userinfo', { scheme: 'Bearer', token: 'at' }, 'alice', verify)).rejects.toBeInstanceOf(TemporarilyUnavailable);
  });

  it('a signed response that does not verify is invalid_token', async () => {
    answer = { status: 200, body: 'a.b.c', type: 'application/jwt' };
    await expect(fetchUserinfo(url, { scheme: 'Bearer', token: 'at' }, 'alice', verify)).rejects.toBeInstanceOf(InvalidToken);
  });
});

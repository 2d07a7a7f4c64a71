/**
 * An API that requires DPoP nonces (RFC 9449 §9) behind a BFF with
 * `profile: 'fapi2'`: the first call without the nonce is answered 401
 * `use_dpop_nonce`, which the BFF answers by sending a call without a body
 * again with the nonce (the browser sees only the second answer); a call
 * with a body gets the 401, and the next call carries the remembered nonce.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import { BffClient } from '../helpers/bff-client.ts';

let stack: DemoStack;
let api: Server;
let nonce = 'nonce-1';
const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
  // A nonce-demanding API: only the proof's nonce matters here (the demo API checks the rest of DPoP).
  api = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const proof = typeof req.headers['dpop'] === 'string' ? decodeJwt(req.headers['dpop']) : undefined;
      if (!req.headers.authorization?.startsWith('DPoP ') || !proof) return void res.writeHead(401, { 'www-authenticate': 'DPoP algs="ES256"' }).end();
      if (proof['nonce'] !== nonce) {
        return void res
          .writeHead(401, {
            'www-authenticate': 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"',
            'dpop-nonce': nonce,
            'content-type': 'application/json',
          })
          .end('{"error":"use_dpop_nonce"}');
      }
      res.writeHead(200, { 'content-type': 'application/json', 'dpop-nonce': nonce }).end(JSON.stringify({ ok: true, body }));
    });
  });
  await new Promise<void>((resolve) => api.listen(0, 'localhost', resolve));
  const target = `http://localhost:${(api.address() as AddressInfo).port}/things`;
  stack = await startDemoStack({ securityProfile: 'fapi2', logger: silentLogger, bff: { apis: [{ path: '/api/things', target, token: 'user' }] } });
});
afterAll(async () => {
  await stack?.stop();
  api?.close();
});

describe('DPoP nonces of an API', () => {
  it('a GET is sent again with the nonce; the browser sees one 200 and no DPoP-Nonce', async () => {
    const tab = await BffClient.signedIn(stack.baseUrl, 'alice');
    seen.length = 0;
    const response = await tab.fetch('/api/things/1?q=2');
    expect(response.status).toBe(200);
    expect(response.headers.get('dpop-nonce')).toBeNull();
    expect(seen).toHaveLength(2);
    const [first, second] = seen.map((s) => decodeJwt(String(s.headers['dpop'])));
    expect(first).not.toHaveProperty('nonce');
    expect(second).toMatchObject({ nonce: 'nonce-1', htm: 'GET', htu: `http://localhost:${(api.address() as AddressInfo).port}/things/1` });
    expect(second!['jti']).not.toBe(first!['jti']);
    expect(seen[1]!.url).toBe('/things/1?q=2');

    // Remembered: the next call carries it at once.
    seen.length = 0;
    expect((await tab.fetch('/api/things')).status).toBe(200);
    expect(seen).toHaveLength(1);
  });

  it('a call with a body is not sent twice: it gets the 401, and the next one carries the new nonce', async () => {
    const tab = await BffClient.signedIn(stack.baseUrl, 'alice');
    nonce = 'nonce-2';
    seen.length = 0;
    const post = await tab.fetch('/api/things', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(post.status).toBe(401);
    expect(seen).toHaveLength(1);
    const again = await tab.fetch('/api/things', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ok: true, body: '{"a":1}' });
    expect(seen).toHaveLength(2);
  });

  it('an API that keeps refusing the nonce gets exactly one more try', async () => {
    const tab = await BffClient.signedIn(stack.baseUrl, 'alice');
    nonce = 'nonce-3';
    const original = api.listeners('request')[0] as (...args: unknown[]) => void;
    let calls = 0;
    api.removeAllListeners('request');
    api.on('request', (req, res) => {
      calls++;
      nonce = `rotating-${calls}`; // the nonce changes at every call: never satisfied
      original(req, res);
    });
    try {
      const response = await tab.fetch('/api/things');
      expect(response.status).toBe(401);
      expect(calls).toBe(2);
    } finally {
      api.removeAllListeners('request');
      api.on('request', original);
    }
  });
});

/**
 * Target (2), the floor for a Node proxy: a bare `http` server forwarding
 * every request to the upstream with http-proxy and a keep-alive agent,
 * configured like the BFF's proxy engine (changeOrigin, no X-Forwarded-*),
 * and nothing else: no framework, no session, no token.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import httpProxy from 'http-proxy';
import { failTarget, serveTarget } from '../lib/child.ts';

const upstream = process.env['BENCH_UPSTREAM'];
if (!upstream) failTarget(new Error('BENCH_UPSTREAM is not set'));

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const proxy = httpProxy.createProxyServer({ target: upstream, agent, changeOrigin: true, xfwd: false, ws: false });
proxy.on('error', (_err, _req, res) => {
  const response = res as http.ServerResponse;
  if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' });
  response.end('{"error":"bad_gateway"}');
});

// BENCH_BARE_BEARER=1: send what the BFF sends upstream (no cookie, a JWT-sized bearer token,
// X-Forwarded-*), to tell the cost of those bytes from the cost of the BFF's own code.
if (process.env['BENCH_BARE_BEARER'] === '1') {
  const bearer = `Bearer ${'x'.repeat(763)}`;
  proxy.on('proxyReq', (proxyReq) => {
    proxyReq.removeHeader('cookie');
    proxyReq.removeHeader('x-csrf');
    proxyReq.setHeader('authorization', bearer);
    proxyReq.setHeader('x-forwarded-for', '127.0.0.1');
    proxyReq.setHeader('x-forwarded-host', 'localhost');
    proxyReq.setHeader('x-forwarded-proto', 'http');
  });
}

const server = http.createServer((req, res) => proxy.web(req, res));
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  serveTarget(`http://127.0.0.1:${port}`, () => {
    agent.destroy();
    proxy.close();
    server.close();
  });
});

/**
 * Reference target for A/B runs: Koa + http-proxy with the BFF's proxy
 * shape (ctx.respond = false, await the response's close, keep-alive
 * agent) and nothing else: the floor for any Koa-based proxy.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import httpProxy from 'http-proxy';
import Koa from 'koa';
import { failTarget, serveTarget } from '../lib/child.ts';

const upstream = process.env['BENCH_UPSTREAM'];
if (!upstream) failTarget(new Error('BENCH_UPSTREAM is not set'));
const url = new URL(`${upstream}/data`);
const target = { protocol: url.protocol, host: url.host, hostname: url.hostname, port: url.port, path: url.pathname };
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const proxy = httpProxy.createProxyServer({ changeOrigin: true, xfwd: false, ws: false });

const app = new Koa();
app.use(async (ctx) => {
  ctx.req.url = ctx.search;
  ctx.respond = false;
  await new Promise<void>((resolve) => {
    ctx.res.once('close', resolve);
    proxy.web(ctx.req, ctx.res, { target, agent }, () => {
      if (!ctx.res.headersSent) ctx.res.writeHead(502);
      ctx.res.end();
    });
  });
});
const server = http.createServer(app.callback());
server.listen(0, '127.0.0.1', () => {
  serveTarget(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, () => {
    agent.destroy();
    server.close();
  });
});

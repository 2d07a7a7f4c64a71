/** The benchmark API: any request gets the same 1 KiB JSON body (keep-alive). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Exactly 1024 bytes of JSON. */
function oneKiB(): Buffer {
  const items = Array.from({ length: 8 }, (_, i) => ({ id: i + 1, title: `todo number ${i + 1}`, done: i % 2 === 0 }));
  const base = { items, pad: '' };
  const missing = 1024 - Buffer.byteLength(JSON.stringify(base));
  return Buffer.from(JSON.stringify({ ...base, pad: 'x'.repeat(missing) }));
}

export const BODY = oneKiB();

/** Starts the upstream on a free loopback port. */
export async function startUpstream(): Promise<{ url: string; server: http.Server; stop(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
    res.end(BODY);
  });
  // Proxies keep their upstream sockets between rounds: do not close them under their feet.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * A recording upstream for the proxy attacks: what reached the API behind the
 * BFF (request target, headers, body hash, whether the body completed) and
 * which WebSocket handshakes got through.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

/** One request as the recording upstream saw it. */
export interface UpstreamRequest {
  method: string;
  /** The request target exactly as received. */
  url: string;
  headers: IncomingHttpHeaders;
  size: number;
  sha256: string;
  /** The first 64 KiB of the body, as latin1 text. */
  body: string;
  /** `completed` (the body ended normally) or `aborted` (the connection died mid-body). */
  outcome: 'completed' | 'aborted';
}

/** A recording upstream: HTTP requests and WebSocket handshakes. */
export interface Upstream {
  url: string;
  requests: UpstreamRequest[];
  upgrades: Array<{ url: string; headers: IncomingHttpHeaders }>;
  reset(): void;
  close(): Promise<void>;
}

/** The body bytes kept per request: enough for any assertion, bounded for the large-body attacks. */
const KEPT_BYTES = 64 * 1024;

/**
 * Starts an upstream that records every request (with a SHA-256 of its body
 * and whether it completed) and answers JSON `{ method, url }`; WebSocket
 * upgrades get a 101 and are recorded. Paths containing `SLOW` answer after
 * 200 ms (to expose response desynchronisation on pooled connections).
 */
export async function startUpstream(): Promise<Upstream> {
  const requests: UpstreamRequest[] = [];
  const upgrades: Upstream['upgrades'] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const hash = createHash('sha256');
    const kept: Buffer[] = [];
    let size = 0;
    let done = false;
    const record = (outcome: UpstreamRequest['outcome']) => {
      if (done) return;
      done = true;
      const body = Buffer.concat(kept).subarray(0, KEPT_BYTES).toString('latin1');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, size, sha256: hash.digest('hex'), body, outcome });
    };
    req.on('data', (chunk: Buffer) => {
      if (size < KEPT_BYTES) kept.push(chunk);
      size += chunk.length;
      hash.update(chunk);
    });
    req.on('aborted', () => record('aborted'));
    req.on('error', () => record('aborted'));
    req.on('close', () => {
      if (!req.complete) record('aborted');
    });
    req.on('end', () => {
      record('completed');
      const answer = () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, url: req.url, size }));
      };
      if (req.url?.includes('SLOW')) setTimeout(answer, 200);
      else answer();
    });
  });
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket) => {
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    socket.on('end', () => socket.destroy());
    upgrades.push({ url: req.url ?? '', headers: req.headers });
    const key = String(req.headers['sec-websocket-key'] ?? '');
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    requests,
    upgrades,
    reset() {
      requests.length = 0;
      upgrades.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of upgraded) socket.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

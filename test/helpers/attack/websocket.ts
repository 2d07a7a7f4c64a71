/**
 * A WebSocket handshake attempt through node:http, for the cross-site
 * WebSocket attacks: only the handshake's answer matters, no frames are sent.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** The answer to a WebSocket handshake attempt. */
export interface HandshakeResult {
  status: number;
  headers: IncomingHttpHeaders;
}

/** Attempts a WebSocket handshake on `base` + `path` with `headers` (Origin, Cookie…). */
export function wsHandshake(base: string, path: string, headers: Record<string, string>): Promise<HandshakeResult> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      path,
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A tiny upstream API for the proxy path: it records and echoes each request
 * (method, path and query, headers, the Authorization it got, body size and
 * SHA-256) and sets cookies the BFF must not pass on. `?bytes=N` answers N
 * bytes instead; `?status=N` answers that status with an OAuth-style error.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the API saw of one request (and echoes back as JSON). */
export interface Echoed {
  method: string;
  /** Path and query as received. */
  url: string;
  authorization: string | undefined;
  headers: IncomingHttpHeaders;
  size: number;
  sha256: string;
}

export interface EchoApi {
  url: string;
  /** Every request received, in order (tests empty it between cases). */
  requests: Echoed[];
  /** Resolves once a request under `/stream` has delivered its first body bytes. */
  firstChunk: Promise<void>;
  stop(): Promise<void>;
}

/** Starts the API on a free localhost port. */
export async function startEchoApi(): Promise<EchoApi> {
  const requests: Echoed[] = [];
  let markFirstChunk!: () => void;
  const firstChunk = new Promise<void>((resolve) => (markFirstChunk = resolve));
  const server: Server = createServer((req, res) => {
    const hash = createHash('sha256');
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size === 0 && req.url?.includes('/stream')) markFirstChunk();
      size += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => {
      const echoed: Echoed = { method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, headers: req.headers, size, sha256: hash.digest('hex') };
      requests.push(echoed);
      const query = new URL(req.url ?? '/', 'http://api').searchParams;
      const bytes = query.get('bytes');
      if (bytes) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'set-cookie': 'upstream=1; Path=/' });
        res.end(Buffer.alloc(Number(bytes), 0x61));
        return;
      }
      const status = Number(query.get('status') ?? 200);
      const body = status >= 400 ? { error: 'invalid_request', error_description: `answered ${status} as asked` } : echoed;
      res.writeHead(status, { 'content-type': 'application/json', 'set-cookie': ['upstream=1; Path=/', 'portcullis=evil; Path=/'] });
      res.end(req.method === 'HEAD' ? undefined : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    requests,
    firstChunk,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

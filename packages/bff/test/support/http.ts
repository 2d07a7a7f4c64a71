/**
 * Reading responses the way the tests need them: Set-Cookie headers parsed,
 * a whole response as one string (to look for leaked tokens), raw requests
 * through node:http (fetch normalises `..` and `%2e%2e` away), and a port
 * nothing listens on.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, createServer } from 'node:net';

/** Status line, headers and body of a response, as one string (consumes the body). */
export async function dump(response: Response): Promise<string> {
  const headers = [...response.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n');
  return `${response.status}\n${headers}\n${response.headers.getSetCookie().join('\n')}\n\n${await response.text()}`;
}

/** The Set-Cookie header values of a response for cookie `name`. */
export function setCookiesFor(response: Response, name: string): string[] {
  return response.headers.getSetCookie().filter((c) => c.startsWith(`${name}=`));
}

/** A parsed Set-Cookie header: name, value and lower-cased attributes. */
export interface ParsedSetCookie {
  name: string;
  value: string;
  attributes: Map<string, string>;
}

export function parseSetCookie(header: string): ParsedSetCookie {
  const [pair = '', ...rest] = header.split(';');
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const part of rest) {
    const [k = '', ...v] = part.split('=');
    attributes.set(k.trim().toLowerCase(), v.join('=').trim());
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes };
}

/** A response read fully through node:http (the path is sent byte for byte, unlike fetch). */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Sends `path` verbatim (no URL normalisation) to `base`. */
export function rawRequest(base: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method: init.method ?? 'GET', path, headers: init.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A TCP port nothing listens on. */
export async function closedPort(): Promise<number> {
  // Port 9 (discard) is privileged and never handed out for `listen(0)`: a port freed from an
  // ephemeral bind could be taken by the next test server before the test uses it (seen in CI).
  if (!(await accepts(9))) return 9;
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether something accepts TCP connections on localhost:`port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

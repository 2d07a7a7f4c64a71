/**
 * Raw HTTP/1.1 over node:net: the bytes are sent exactly as written, because
 * fetch and node:http would fix or refuse the malformed requests the attacks
 * need (smuggling, bad framing, odd methods, oversized heads).
 */
import { connect } from 'node:net';

/** The result of a raw exchange over TCP. */
export interface RawExchange {
  /** Everything the server sent. */
  raw: string;
  /** Status of the first response, `undefined` when none came. */
  status: number | undefined;
  /** Status line count: how many responses came back. */
  responses: number;
  /** The server closed the connection before our timeout. */
  closedByServer: boolean;
}

/**
 * How many complete HTTP/1.1 responses `raw` holds (Content-Length, chunked,
 * or bodiless statuses; `bodiless` for answers to HEAD).
 */
function completeResponses(raw: string, bodiless: boolean): number {
  let count = 0;
  let at = 0;
  for (;;) {
    const end = raw.indexOf('\r\n\r\n', at);
    if (end < 0) return count;
    const head = raw.slice(at, end);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
    let next = end + 4;
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
    if (bodiless || status < 200 || status === 204 || status === 304) {
      // no body
    } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const last = raw.indexOf('\r\n0\r\n\r\n', end);
      if (last < 0) return count;
      next = last + 7;
    } else if (length !== undefined) {
      if (raw.length < next + Number(length)) return count;
      next += Number(length);
    } else {
      return count; // read until close
    }
    count++;
    at = next;
  }
}

/**
 * Sends `bytes` verbatim on a new TCP connection to `base` and collects the
 * answer until the server closes, until `responses` complete responses came
 * (then `graceMs` more, to see whether the server closes), or until `waitMs`.
 */
export function rawHttp(
  base: string,
  bytes: string | Buffer,
  { waitMs = 1500, localAddress, responses = 1, graceMs = 100 }: { waitMs?: number; localAddress?: string; responses?: number; graceMs?: number } = {},
): Promise<RawExchange> {
  const url = new URL(base);
  const bodiless = String(bytes).startsWith('HEAD ');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname === 'localhost' ? '127.0.0.1' : url.hostname, port: Number(url.port), ...(localAddress ? { localAddress } : {}) });
    const chunks: Buffer[] = [];
    let closedByServer = false;
    let timer: NodeJS.Timeout | undefined;
    let grace: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      clearTimeout(grace);
      const raw = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1];
      resolve({ raw, status: status ? Number(status) : undefined, responses: (raw.match(/HTTP\/1\.[01] \d{3} /g) ?? []).length, closedByServer });
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (!grace && completeResponses(Buffer.concat(chunks).toString('latin1'), bodiless) >= responses) grace = setTimeout(() => socket.destroy(), graceMs);
    });
    socket.on('end', () => {
      closedByServer = true;
    });
    socket.on('close', finish);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A reset after the server's answer is a close too.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') closedByServer = true;
      else reject(err);
    });
    socket.on('connect', () => {
      socket.write(bytes);
      timer = setTimeout(() => socket.destroy(), waitMs);
    });
  });
}

/**
 * Request body limits for proxied calls: a declared Content-Length over the
 * limit is refused before anything is sent upstream; a chunked body is
 * counted as it streams and cut off once it passes the limit.
 */
import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import { PayloadTooLarge } from '../errors.ts';

/** Throws `PayloadTooLarge` when the declared length exceeds `limit`. */
export function checkDeclaredLength(req: IncomingMessage, limit: number): void {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new PayloadTooLarge(limit);
}

/** A stream of `req`'s body that fails once more than `limit` bytes have passed. */
export function limitedBody(req: IncomingMessage, limit: number, onOverflow: () => void): Transform {
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > limit) {
        onOverflow();
        callback(new PayloadTooLarge(limit));
        return;
      }
      callback(null, chunk);
    },
  });
  // The error is reported through onOverflow; without a listener it would crash the process.
  counter.on('error', () => {});
  return req.pipe(counter);
}

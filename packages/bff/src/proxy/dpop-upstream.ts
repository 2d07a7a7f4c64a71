/**
 * The API side of DPoP-bound calls (RFC 9449 §8, §9): each API's last
 * `DPoP-Nonce` is remembered for the next proof, and an API that answers
 * 401 `use_dpop_nonce` gets the call once more with a new proof carrying
 * the nonce, the browser seeing only the second answer. Only calls without
 * a body are sent again (a streamed body is gone once sent); a call with a
 * body that meets a nonce challenge gets the 401, and the next one carries
 * the nonce. DPoP calls are therefore self-handled by http-proxy: their
 * response is written here, not piped by http-proxy.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DpopNonces } from '../protocol/dpop-nonces.ts';

const CALL = Symbol('portcullis.dpopCall');

/** A DPoP call in flight: its upstream URL and, while it may be sent again, how. */
export interface DpopCall {
  url: string;
  resend?: (() => void) | undefined;
}

type Tagged = IncomingMessage & { [CALL]?: DpopCall };

/** DPoP state shared by all routes of one BFF. */
export class DpopUpstream {
  readonly nonces = new DpopNonces();

  /** Marks `req` as a DPoP call (its proxy options must say `selfHandleResponse: true`). */
  track(req: IncomingMessage, call: DpopCall): void {
    (req as Tagged)[CALL] = call;
  }

  /** Remembers the API's nonce; true when the response was swallowed because the call went again. */
  retried(proxyRes: IncomingMessage, req: IncomingMessage): boolean {
    const call = (req as Tagged)[CALL];
    if (!call) return false;
    this.nonces.remember(call.url, proxyRes.headers['dpop-nonce']);
    delete proxyRes.headers['dpop-nonce'];
    const challenge = proxyRes.statusCode === 401 ? String(proxyRes.headers['www-authenticate'] ?? '') : '';
    if (!call.resend || !/\bDPoP\b[^]*error="use_dpop_nonce"/i.test(challenge)) return false;
    const resend = call.resend;
    call.resend = undefined;
    proxyRes.resume();
    resend();
    return true;
  }

  /** Writes a DPoP call's response (http-proxy's own response passes, which self-handling skips). */
  pass(proxyRes: IncomingMessage, req: IncomingMessage, res: ServerResponse): void {
    if (!(req as Tagged)[CALL] || res.headersSent || res.writableEnded) return;
    if (req.httpVersion === '1.0') delete proxyRes.headers['transfer-encoding'];
    res.writeHead(proxyRes.statusCode ?? 502, proxyRes.statusMessage ?? '', proxyRes.headers);
    proxyRes.pipe(res);
  }
}

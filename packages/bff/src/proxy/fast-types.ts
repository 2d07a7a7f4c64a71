/**
 * The public types of the fast path (`bff.handle`, `bff.callback`), apart from its implementation:
 * the published declarations then do not reach http-proxy's types, which consumers do not install.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Options of `bff.handle`. */
export interface HandleOptions {
  /**
   * Trust X-Forwarded-For from a proxy in front (what Koa's `app.proxy` means on the Koa path):
   * the upstream then receives the client's chain with the peer appended. Default `false`.
   */
  trustProxy?: boolean;
}

/** `bff.handle`: true when it took the request (an API route, or another spelling of one, refused). */
export type FastHandler = (req: IncomingMessage, res: ServerResponse, options?: HandleOptions) => boolean;

/** The part of a Koa application `bff.callback` needs. */
export interface KoaLike {
  proxy: boolean;
  callback(): (req: IncomingMessage, res: ServerResponse) => unknown;
}

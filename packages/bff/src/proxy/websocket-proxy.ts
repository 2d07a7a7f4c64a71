/**
 * WebSocket proxying for routes with `ws: true`. A browser cannot add
 * `X-CSRF` to a WebSocket handshake, and WebSockets are not bound by the
 * same-origin policy, so the handshake's `Origin` must be the BFF's own
 * origin (cross-site WebSocket hijacking); then the session is read, the
 * bearer token attached, and the upgrade forwarded.
 */
import type { IncomingMessage } from 'node:http';
import { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import Koa from 'koa';
import compose from 'koa-compose';
import type { Bff } from '../context.ts';
import { BffError } from '../errors.ts';
import type { ResolvedOptions } from '../options.ts';
import { commitSession } from '../session/session-middleware.ts';
import type { ProxyEngine } from './api-proxy.ts';
import type { AccessCredential } from '../protocol/access-credential.ts';
import { credentialFor, presentCredential } from './upstream-credential.ts';
import { rewriteHeaders } from './forwarded-headers.ts';
import { pathBelow, upstreamUrl } from './upstream-path.ts';

type Route = ResolvedOptions['apis'][number];

/** Writes a bare HTTP error on the socket and closes it (no Koa response exists during an upgrade). */
function refuse(socket: Duplex, status: number, reason: string): void {
  if (socket.writable) socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

/**
 * The `upgrade` handler: returns false (and leaves the socket alone) when no
 * `ws: true` route matches, so other upgrade handlers can take it.
 */
export function createUpgradeHandler(bff: Bff, engine: ProxyEngine, session: Koa.Middleware): (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean {
  const routes = bff.options.apis.filter((r) => r.ws);
  // koa-session needs a Koa app and a context: a private app builds them for handshakes.
  const app = new Koa();
  const publicUrl = new URL(bff.options.origin);

  async function forward(route: Route, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (req.headers.origin !== bff.options.origin) return refuse(socket, 403, 'Forbidden');
    const ctx = app.createContext(req, new ServerResponse(req));
    const { target, agent } = engine.upstream(route);
    let credential: AccessCredential | undefined;
    let url = '';
    const handshake = compose([
      session,
      async (c: Koa.Context) => {
        const rest = pathBelow(c.path, route.path);
        credential = await credentialFor(bff, route, c);
        url = upstreamUrl(target, rest);
        await commitSession(c);
        req.url = `${rest}${c.search}`;
      },
    ]);
    await handshake(ctx, async () => {});
    rewriteHeaders(req.headers, {
      accessToken: credential?.scheme === 'Bearer' ? credential.token : undefined,
      peerIp: ctx.req.socket.remoteAddress ?? '',
      publicUrl,
      trustProxy: app.proxy,
      upgrade: true,
    });
    // The handshake is a GET to the API's URL: that is what a DPoP proof for it names.
    presentCredential(req.headers, credential, { method: 'GET', url, nonces: engine.dpop.nonces });
    engine.proxy.ws(req, socket, head, { target, agent }, (err: NodeJS.ErrnoException) => {
      bff.logger.warn({ route: route.path, code: err.code }, 'upstream WebSocket failed');
      refuse(socket, 502, 'Bad Gateway');
    });
  }

  return function upgrade(req, socket, head) {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = routes.find((r) => path === r.path || path.startsWith(`${r.path}/`));
    if (!route) return false;
    socket.on('error', () => socket.destroy());
    forward(route, req, socket, head).catch((err: unknown) => {
      const status = err instanceof BffError ? err.status : 500;
      bff.logger.info({ route: route.path, status }, 'WebSocket handshake refused');
      refuse(socket, status, status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 400 ? 'Bad Request' : status === 503 ? 'Service Unavailable' : 'Error');
    });
    return true;
  };
}

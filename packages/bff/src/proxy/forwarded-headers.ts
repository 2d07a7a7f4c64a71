/**
 * The request headers an upstream API receives: the browser's, minus what
 * belongs to the browser-BFF hop (cookies, the CSRF header, its own
 * Authorization, hop-by-hop headers, and unless the app trusts a proxy in
 * front, any X-Forwarded-* it claims), plus the BFF's bearer token and
 * X-Forwarded-For/Host/Proto describing the public origin.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { InvalidRequest } from '../errors.ts';

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];
const BROWSER_ONLY = ['cookie', 'x-csrf', 'authorization'];
const FORWARDED = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-real-ip'];
const REMOVED = new Set([...HOP_BY_HOP, ...BROWSER_ONLY, ...FORWARDED]);

/** What {@link rewriteHeaders} needs to know about the request. */
export interface ForwardContext {
  /** The bearer token to send, or `undefined` for none. */
  accessToken: string | undefined;
  /**
   * The address of the peer that sent the request to the BFF (`socket.remoteAddress`): the
   * entry the BFF appends to X-Forwarded-For. Never Koa's `ctx.ip`, which behind a proxy is
   * read from X-Forwarded-For, whose leftmost entries the client writes.
   */
  peerIp: string;
  /** The BFF's public origin URL. */
  publicUrl: URL;
  /** Whether a trusted proxy in front set X-Forwarded-* (Koa's `app.proxy`). */
  trustProxy: boolean;
  /** The request is a WebSocket handshake (keep `Connection` and `Upgrade`). */
  upgrade?: boolean;
}

const UPGRADE = new Set(['connection', 'upgrade']);

/**
 * Headers a client may not turn into hop-by-hop ones through `Connection`: removing them would
 * change how the upstream frames or routes the request (`Connection: content-length` would send
 * a body unframed on a keep-alive connection shared by every user: request smuggling).
 */
const END_TO_END = new Set(['content-length', 'content-type', 'content-encoding', 'host', 'expect', 'authorization', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto']);

/** What leaves the request: hop-by-hop and browser-only headers, and those its `Connection` names. */
interface Removal {
  named: readonly string[];
  kept: ReadonlySet<string> | undefined;
}

/** The request's `Connection` list, checked: throws `InvalidRequest` when it names an end-to-end header. */
function removal(headers: IncomingHttpHeaders, upgrade: boolean | undefined): Removal {
  const connection = headers['connection'];
  const named = typeof connection === 'string' ? connection.split(',').map((h) => h.trim().toLowerCase()) : [];
  const refused = named.find((h) => END_TO_END.has(h));
  if (refused) throw new InvalidRequest(`The Connection header may not name "${refused}".`);
  // A WebSocket handshake is forwarded as an upgrade: its Connection and Upgrade headers travel on.
  return { named, kept: upgrade ? UPGRADE : undefined };
}

const removed = (name: string, { named, kept }: Removal): boolean => (REMOVED.has(name) || named.includes(name)) && !kept?.has(name);

/** The bearer token and X-Forwarded-* the upstream receives. */
function addForwarded(headers: IncomingHttpHeaders, priorFor: string | string[] | undefined, forward: ForwardContext): void {
  if (forward.accessToken) headers['authorization'] = `Bearer ${forward.accessToken}`;
  headers['x-forwarded-for'] = priorFor ? `${String(priorFor)}, ${forward.peerIp}` : forward.peerIp;
  headers['x-forwarded-host'] = forward.publicUrl.host;
  headers['x-forwarded-proto'] = forward.publicUrl.protocol.slice(0, -1);
}

/**
 * Rewrites `headers` in place for the upstream request; throws `InvalidRequest` when `Connection`
 * names a header that must travel end to end.
 */
export function rewriteHeaders(headers: IncomingHttpHeaders, forward: ForwardContext): void {
  const rule = removal(headers, forward.upgrade);
  const priorFor = forward.trustProxy ? headers['x-forwarded-for'] : undefined;
  // One pass over the request's own header names (Node lower-cases them), deleting only those present:
  // ~25 deletes of absent names per request cost more than the walk.
  for (const name in headers) if (removed(name, rule)) delete headers[name];
  addForwarded(headers, priorFor, forward);
}

/**
 * {@link rewriteHeaders} as a new object, the request's own left alone: `delete` on the
 * request's headers turns them into a slow dictionary that Node's client and http-proxy then
 * walk and copy; a fresh object keeps fast properties (for `req.headers = forwardedHeaders(…)`).
 */
export function forwardedHeaders(headers: IncomingHttpHeaders, forward: ForwardContext): IncomingHttpHeaders {
  const rule = removal(headers, forward.upgrade);
  const out: IncomingHttpHeaders = {};
  for (const name in headers) if (!removed(name, rule)) out[name] = headers[name];
  addForwarded(out, forward.trustProxy ? headers['x-forwarded-for'] : undefined, forward);
  return out;
}

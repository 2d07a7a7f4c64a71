/**
 * The API proxy: an explicit allowlist of routes, each forwarding its path
 * prefix to one target with the right bearer token. Bodies stream both ways
 * (http-proxy, keep-alive agents); nothing parses them.
 */
import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import httpProxy from 'http-proxy';
import type { Bff } from '../context.ts';
import { BadGateway, CsrfRequired, GatewayTimeout, InvalidRequest, LengthRequired, PayloadTooLarge, StepUpRequired } from '../errors.ts';
import { notify } from '../events.ts';
import { LATER, type Later } from '../later.ts';
import type { AccessCredential } from '../protocol/access-credential.ts';
import type { ResolvedOptions } from '../options.ts';
import { RepeatedLog } from '../repeated-log.ts';
import type { LoadedSession, SessionReader } from '../session/proxy-session.ts';
import type { UserSession } from '../session/user-session.ts';
import { checkDeclaredLength, limitedBody } from './body-limit.ts';
import { DpopUpstream } from './dpop-upstream.ts';
import { forwardedHeaders } from './forwarded-headers.ts';
import { deniedHeaders, filterResponseHeaders } from './response-headers.ts';
import { checkStepUp, stepUpChallenge } from './step-up.ts';
import { answerError, sameOrigin } from './raw-answer.ts';
import { chooseCredential, credentialNow, presentCredential, type TokenSession } from './upstream-credential.ts';
import { pathBelow, upstreamUrl } from './upstream-path.ts';

const DEFAULT_DENIED = deniedHeaders({ remove: [], keep: [] });

type Route = ResolvedOptions['apis'][number];

const UPSTREAM = Symbol('portcullis.upstreamRequest');
const OVERFLOW = Symbol('portcullis.bodyOverflow');
const CLIENT_CONNECTION = Symbol('portcullis.clientConnection');
const DENIED = Symbol('portcullis.deniedResponseHeaders');
type Tagged = IncomingMessage & { [UPSTREAM]?: ClientRequest; [OVERFLOW]?: boolean; [CLIENT_CONNECTION]?: string; [DENIED]?: ReadonlySet<string> };

/** http-proxy's `web` without per-call options. */
interface WebWithCallback {
  web(req: IncomingMessage, res: ServerResponse, callback: (err: NodeJS.ErrnoException) => void): void;
}

/** Methods whose requests Node sends without chunked framing: a chunked body there would be unframed upstream. */
const UNFRAMED_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/** Response headers about the upstream's own connection, never passed on. */
const UPSTREAM_CONNECTION = ['connection', 'keep-alive', 'proxy-connection'];

/** Shared by all routes of one BFF: the proxies, one keep-alive agent per protocol. */
export class ProxyEngine {
  /** For calls with options of their own (WebSocket upgrades, streamed bodies, DPoP). */
  readonly proxy = this.#wired(httpProxy.createProxyServer({ changeOrigin: true, xfwd: false }));
  readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256 });
  /** DPoP-bound calls: the APIs' nonces, and the one retry a `use_dpop_nonce` answer earns. */
  readonly dpop = new DpopUpstream();
  readonly #routeProxies: httpProxy[] = [];

  /**
   * A proxy with `route`'s target, agent and timeout as its own options: a call without options
   * of its own skips http-proxy's copy of them (two object merges per call).
   */
  proxyFor(route: Route): httpProxy {
    const { target, agent } = this.upstream(route);
    const proxy = this.#wired(httpProxy.createProxyServer({ changeOrigin: true, xfwd: false, target, agent, proxyTimeout: route.timeout }));
    this.#routeProxies.push(proxy);
    return proxy;
  }

  #wired(proxy: httpProxy): httpProxy {
    // The BFF owns the cookies of its origin: an upstream API does not set any.
    proxy.on('proxyRes', (proxyRes, req, res) => {
      // A DPoP call the API answered with a nonce to use: sent again with it (the response is not passed on).
      if (this.dpop.retried(proxyRes, req)) return;
      // RFC 9470: the API asks for a stronger login. The SPA gets the BFF's own answer; the session stays.
      const challenge = proxyRes.statusCode === 401 ? stepUpChallenge(proxyRes.headers) : undefined;
      if (challenge) {
        proxyRes.resume();
        res.writeHead(401, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        res.end(JSON.stringify(new StepUpRequired(challenge).toJSON()));
        return;
      }
      // Headers that act on the BFF's whole origin (cookies, Clear-Site-Data, HSTS, CORS…): the route's list.
      filterResponseHeaders(proxyRes.headers, (req as Tagged)[DENIED] ?? DEFAULT_DENIED);
      // Hop-by-hop: the upstream's connection is not the browser's. Honour what the browser asked.
      for (const name of UPSTREAM_CONNECTION) delete proxyRes.headers[name];
      proxyRes.headers['connection'] = (req as Tagged)[CLIENT_CONNECTION] === 'close' ? 'close' : 'keep-alive';
      this.dpop.pass(proxyRes, req, res);
    });
    // A WebSocket whose browser side closes must not leave its upstream connection open.
    proxy.on('proxyReqWs', (proxyReq, _req, socket) => {
      proxyReq.on('upgrade', (_res, upstream: Socket) => {
        socket.once('close', () => upstream.destroy());
        upstream.once('close', () => socket.destroy());
      });
    });
    // Keep a handle on each upstream request, so an oversized body can abort it.
    // (http-proxy emits proxyReq once the upstream socket is assigned: the body may have overflowed already.)
    proxy.on('proxyReq', (proxyReq, req) => {
      const tagged = req as Tagged;
      tagged[UPSTREAM] = proxyReq;
      if (tagged[OVERFLOW]) proxyReq.destroy();
    });
    return proxy;
  }

  /** Where a route's requests go, in the legacy url shape http-proxy reads (`path`, not `pathname`), with its agent. */
  upstream(route: Route): { target: { protocol: string; host: string; hostname: string; port: string; path: string }; agent: http.Agent } {
    const url = new URL(route.target);
    const target = { protocol: url.protocol, host: url.host, hostname: url.hostname, port: url.port, path: url.pathname };
    return { target, agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent };
  }

  /** Closes idle upstream connections. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.proxy.close();
    for (const proxy of this.#routeProxies) proxy.close();
  }
}

/** One proxied call as the route handler sees it: the raw request, already split, and the trust setting. */
export interface ProxyExchange {
  req: IncomingMessage;
  res: ServerResponse;
  /** The raw (not decoded) path, as Koa's `ctx.path`. */
  path: string;
  /** `?query`, or `''` (Koa's `ctx.search`). */
  search: string;
  /** Whether X-Forwarded-* from a proxy in front are trusted (Koa's `app.proxy`). */
  trustProxy: boolean;
}

/**
 * Answers one proxied call completely (errors included). A call whose session, token and idle
 * deadline are at hand is forwarded before it returns (no promise); one that must wait (the
 * store, a refresh) returns a promise that settles, never rejecting, once the call was forwarded
 * or answered. Neither waits for the response to finish.
 */
export type ApiHandler = (exchange: ProxyExchange) => Promise<void> | undefined;

/** What a call needs once its checks passed: the path below the route and the credential to present. */
interface Prepared {
  rest: string;
  credential: AccessCredential | undefined;
}

/**
 * The handler of one route, on Node's request and response: both the Koa route and
 * `bff.handle` (no Koa context) call it, so there is one implementation of the proxy.
 */
export function createApiHandler(bff: Bff, engine: ProxyEngine, route: Route, sessions: SessionReader): ApiHandler {
  const { target, agent } = engine.upstream(route);
  const denied = deniedHeaders(route.responseHeaders);
  // A down API fails every call: one log line per interval and kind of failure, with a count.
  const failures = new RepeatedLog(bff.logger);
  const publicUrl = new URL(bff.options.origin);
  const { events } = bff.options;
  const stepUp = route.acr !== undefined || route.maxAge !== undefined;
  const plain = { target, agent, proxyTimeout: route.timeout };
  // Calls without options of their own (no streamed body, no DPoP) go through the route's proxy.
  const routeProxy = engine.proxyFor(route);

  /** The CSRF, path and step-up checks (throw on failure); the path below the route. */
  function checked({ req, path }: ProxyExchange, session: LoadedSession | undefined): string {
    if (!sameOrigin(req.headers, bff.options.origin)) throw new CsrfRequired();
    const rest = pathBelow(path, route.path);
    if (session && stepUp) checkStepUp(route, session.auth);
    return rest;
  }

  /** The checks and the credential without a promise; {@link LATER} (nothing changed) when something must be awaited. */
  function prepareNow(exchange: ProxyExchange): Prepared | Later {
    const session = sessions.loadNow(exchange.req.headers.cookie);
    if (session === LATER) return LATER;
    const rest = checked(exchange, session);
    const credential = credentialNow(bff, route, session);
    // A due idle renewal writes the session before the call goes on: the asynchronous path does it.
    if (credential === LATER || (session && sessions.renewalDue(session))) return LATER;
    return { rest, credential };
  }

  async function prepare(exchange: ProxyExchange): Promise<Prepared> {
    const session = await sessions.load(exchange.req.headers.cookie);
    const rest = checked(exchange, session);
    const raw = session && new RawTokenSession(session, sessions, exchange.res);
    const credential = await chooseCredential(bff, route, raw);
    // Persist a renewed idle timeout before the response is handed over.
    if (raw) await raw.renew();
    return { rest, credential };
  }

  /** Rewrites the request for its API and hands it to http-proxy (throws on faulty framing). */
  function forward({ req, res, search, trustProxy }: ProxyExchange, { rest, credential }: Prepared): void {
    checkDeclaredLength(req, route.maxBodySize);
    const chunked = req.headers['transfer-encoding'] !== undefined;
    // Request smuggling: Node's client sends GET/DELETE/OPTIONS bodies without chunked framing, so the
    // upstream would read such a body as the next request on a shared keep-alive connection.
    if (chunked && UNFRAMED_METHODS.has(req.method ?? '')) throw new LengthRequired();
    // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 request is faulty framing; nothing of it goes upstream.
    if (chunked && req.httpVersion === '1.0') throw new InvalidRequest('Transfer-Encoding in an HTTP/1.0 request is faulty framing (RFC 9112 §6.1).');
    const tagged = req as Tagged;
    tagged[CLIENT_CONNECTION] = String(req.headers['connection'] ?? '').toLowerCase();
    tagged[DENIED] = denied;
    // A new object, not deletes on the request's own: those make it a slow dictionary for everything after.
    req.headers = forwardedHeaders(req.headers, { accessToken: credential?.scheme === 'Bearer' ? credential.token : undefined, peerIp: req.socket.remoteAddress ?? '', publicUrl, trustProxy });
    const dpop = credential?.scheme === 'DPoP';
    const url = dpop ? upstreamUrl(target, rest) : '';
    presentCredential(req.headers, credential, { method: req.method ?? 'GET', url, nonces: engine.dpop.nonces });
    // Re-frame a streamed body explicitly (Transfer-Encoding is hop-by-hop and was removed above).
    if (chunked) req.headers['transfer-encoding'] = 'chunked';
    req.url = `${rest}${search}`;
    const started = Date.now();
    let overflow = false;
    const buffer = chunked
      ? limitedBody(req, route.maxBodySize, () => {
          overflow = true;
          tagged[OVERFLOW] = true;
          tagged[UPSTREAM]?.destroy();
        })
      : undefined;
    if (events.proxied) res.once('close', () => notify(() => events.proxied!({ route: route.path, status: res.statusCode, seconds: (Date.now() - started) / 1000 })));
    const onError = (err: NodeJS.ErrnoException): void => {
      const timedOut = Date.now() - started >= route.timeout;
      failures.report(`${err.code ?? 'error'} ${timedOut} ${overflow}`, bff.logger.warn, { route: route.path, code: err.code, timedOut, overflow }, 'upstream API failed');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      notify(() => events.upstreamFailure?.({ route: route.path, kind: overflow ? 'body_too_large' : timedOut ? 'timeout' : 'unreachable' }));
      const error = overflow ? new PayloadTooLarge(route.maxBodySize) : timedOut ? new GatewayTimeout() : new BadGateway();
      res.writeHead(error.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(JSON.stringify(error.toJSON()));
    };
    if (!buffer && !dpop) {
      // (req, res, callback) is http-proxy's own call shape, which its types leave out; an options
      // argument, even undefined, makes it merge options again.
      (routeProxy as unknown as WebWithCallback).web(req, res, onError);
      return;
    }
    const options = { ...plain, ...(buffer ? { buffer } : {}), ...(dpop ? { selfHandleResponse: true } : {}) };
    if (dpop) {
      // Only a call without a body can go again (for an API's DPoP nonce): its body is not kept.
      const resend =
        chunked || Number(req.headers['content-length'] ?? 0) > 0
          ? undefined
          : () => {
              presentCredential(req.headers, credential, { method: req.method ?? 'GET', url, nonces: engine.dpop.nonces });
              engine.proxy.web(req, res, { ...options, buffer: Readable.from([]) }, onError);
            };
      engine.dpop.track(req, { url, resend });
    }
    engine.proxy.web(req, res, options, onError);
  }

  // The answers and logs of middleware/error-handler.ts (JSON only: API calls never get an HTML page).
  const refuse = (exchange: ProxyExchange, caught: unknown): void => answerError(exchange, caught, bff.logger);

  return function handleApi(exchange) {
    try {
      const ready = prepareNow(exchange);
      if (ready !== LATER) {
        forward(exchange, ready);
        return undefined;
      }
    } catch (caught) {
      refuse(exchange, caught);
      return undefined;
    }
    return prepare(exchange)
      .then((ready) => forward(exchange, ready))
      .catch((caught: unknown) => refuse(exchange, caught));
  };
}

/** A proxied call's session with the response its cookie goes on. (A class: no closures per request.) */
class RawTokenSession implements TokenSession {
  readonly id: string;
  readonly auth: UserSession;
  constructor(
    private readonly session: LoadedSession,
    private readonly sessions: SessionReader,
    private readonly res: ServerResponse,
  ) {
    this.id = session.id;
    this.auth = session.auth;
  }
  end(): Promise<void> {
    return this.sessions.end(this.session, (value) => void this.res.appendHeader('set-cookie', value));
  }
  renew(): Promise<void> {
    return this.sessions.renew(this.session, (value) => void this.res.appendHeader('set-cookie', value));
  }
}

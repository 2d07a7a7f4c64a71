/**
 * Shared pieces of the attack suite (test/security): a session store that
 * can be audited, a demo stack with a signed-in "sentinel" tab to prove the
 * process is still healthy after each attack, raw HTTP over node:net (the
 * bytes are sent exactly as written: fetch and node:http would fix or refuse
 * them), a recording upstream (HTTP and WebSocket), a token-endpoint
 * interceptor to inject forged ID tokens, and a login stopped just before
 * its callback with its state and nonce.
 */
import type { ApiRoute } from '@portcullis/bff';
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { MemorySessionStore, silentLogger, type MemorySessionStoreOptions, type SessionIndex, type SessionRecord } from '@portcullis/bff';
import { startDemoStack, type DemoStack, type DemoStackOptions } from '@portcullis/demo/stack';
import { expect } from 'vitest';
import { BffClient, formAction } from './bff-client.ts';
import { browse } from './cookie-jar.ts';

/**
 * The BFF's own in-memory store, with a list of the keys it holds so that a
 * test can compare every session record before and after an attack.
 */
export class AuditedStore extends MemorySessionStore {
  readonly #ids = new Set<string>();
  /** Every write that changed something, in order: `set <id>` (set, setIf, add), `destroy <id>`, `take <id>`. */
  readonly writes: string[] = [];

  override async set(id: string, record: SessionRecord, ttlMs: number, index?: SessionIndex): Promise<void> {
    this.#ids.add(id);
    this.writes.push(`set ${id}`);
    await super.set(id, record, ttlMs, index);
  }

  override async setIf(id: string, record: SessionRecord, ttlMs: number, index: SessionIndex | undefined, expected: string | null): Promise<boolean> {
    const written = await super.setIf(id, record, ttlMs, index, expected);
    if (written) {
      this.#ids.add(id);
      this.writes.push(`set ${id}`);
    }
    return written;
  }

  override async add(id: string, record: SessionRecord, ttlMs: number): Promise<boolean> {
    const written = await super.add(id, record, ttlMs);
    if (written) {
      this.#ids.add(id);
      this.writes.push(`set ${id}`);
    }
    return written;
  }

  override async destroy(id: string): Promise<void> {
    this.#ids.delete(id);
    this.writes.push(`destroy ${id}`);
    await super.destroy(id);
  }

  override async take(id: string): Promise<SessionRecord | undefined> {
    this.#ids.delete(id);
    this.writes.push(`take ${id}`);
    return super.take(id);
  }

  /**
   * Every live session record (login states `state:*`, back-channel `jti:*` and
   * locks excluded) as its stored JSON: tokens stay encrypted, any change shows.
   */
  async sessions(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const id of [...this.#ids].sort()) {
      if (id.includes(':')) continue;
      const record = await super.get(id);
      if (record) out.set(id, JSON.stringify(record));
    }
    return out;
  }
}

/** What an attack must leave as it found it. */
export interface StoreSnapshot {
  size: number;
  sessions: Map<string, string>;
}

/** What an attack may legitimately leave behind. */
export interface GuardOptions {
  /** Login states (`state:*`) the attack may add: a /bff/login that was (rightly) served. Default 0. */
  newStates?: number;
}

/** A demo stack with an audited store and a signed-in sentinel tab. */
export interface Arena {
  stack: DemoStack;
  store: AuditedStore;
  /** A normal signed-in tab (bob): its `/bff/user` must answer 200 after every attack. */
  sentinel: BffClient;
  baseUrl: string;
  snapshot(): Promise<StoreSnapshot>;
  /**
   * Fails unless no session record was created, changed or removed since
   * `before`, and the store did not grow (refused logins may consume a state;
   * `newStates` login states may be added by a login that legitimately started).
   */
  expectUntouched(before: StoreSnapshot, options?: GuardOptions): Promise<void>;
  /** The process still serves a normal signed-in request. */
  expectHealthy(): Promise<void>;
  /** snapshot → attack → expectUntouched → expectHealthy. */
  guard<T>(attack: () => Promise<T>, options?: GuardOptions): Promise<T>;
  stop(): Promise<void>;
}

/** Starts the demo stack on an {@link AuditedStore} and signs the sentinel in. */
export async function startArena(options: DemoStackOptions = {}, storeOptions: MemorySessionStoreOptions = {}): Promise<Arena> {
  const store = new AuditedStore(storeOptions);
  const stack = await startDemoStack({ logger: silentLogger, ...options, store });
  const sentinel = new BffClient(stack.baseUrl);
  await sentinel.login('bob');
  const snapshot = async (): Promise<StoreSnapshot> => ({ size: store.size, sessions: await store.sessions() });
  const expectUntouched = async (before: StoreSnapshot, { newStates = 0 }: GuardOptions = {}) => {
    const after = await snapshot();
    expect(after.sessions, 'session records are unchanged').toEqual(before.sessions);
    expect(after.size, 'the store did not grow').toBeLessThanOrEqual(before.size + newStates);
  };
  const expectHealthy = async () => {
    const user = await sentinel.user();
    expect(user.status, 'a signed-in /bff/user still answers 200').toBe(200);
    expect(user.body['sub']).toBe('bob');
  };
  return {
    stack,
    store,
    sentinel,
    baseUrl: stack.baseUrl,
    snapshot,
    expectUntouched,
    expectHealthy,
    async guard(attack, options) {
      const before = await snapshot();
      const result = await attack();
      await expectUntouched(before, options);
      await expectHealthy();
      return result;
    },
    async stop() {
      await stack.stop();
      store.close();
    },
  };
}

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

/** One request as the recording upstream saw it. */
export interface UpstreamRequest {
  method: string;
  /** The request target exactly as received. */
  url: string;
  headers: IncomingHttpHeaders;
  size: number;
  sha256: string;
  /** The first 64 KiB of the body, as latin1 text. */
  body: string;
  /** `completed` (the body ended normally) or `aborted` (the connection died mid-body). */
  outcome: 'completed' | 'aborted';
}

/** A recording upstream: HTTP requests and WebSocket handshakes. */
export interface Upstream {
  url: string;
  requests: UpstreamRequest[];
  upgrades: Array<{ url: string; headers: IncomingHttpHeaders }>;
  reset(): void;
  close(): Promise<void>;
}

/**
 * Starts an upstream that records every request (with a SHA-256 of its body
 * and whether it completed) and answers JSON `{ method, url }`; WebSocket
 * upgrades get a 101 and are recorded. Paths containing `SLOW` answer after
 * 200 ms (to expose response desynchronisation on pooled connections).
 */
export async function startUpstream(): Promise<Upstream> {
  const requests: UpstreamRequest[] = [];
  const upgrades: Upstream['upgrades'] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const hash = createHash('sha256');
    const kept: Buffer[] = [];
    let size = 0;
    let done = false;
    const record = (outcome: UpstreamRequest['outcome']) => {
      if (done) return;
      done = true;
      const body = Buffer.concat(kept).subarray(0, 64 * 1024).toString('latin1');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, size, sha256: hash.digest('hex'), body, outcome });
    };
    req.on('data', (chunk: Buffer) => {
      if (size < 64 * 1024) kept.push(chunk);
      size += chunk.length;
      hash.update(chunk);
    });
    req.on('aborted', () => record('aborted'));
    req.on('error', () => record('aborted'));
    req.on('close', () => {
      if (!req.complete) record('aborted');
    });
    req.on('end', () => {
      record('completed');
      const answer = () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, url: req.url, size }));
      };
      if (req.url?.includes('SLOW')) setTimeout(answer, 200);
      else answer();
    });
  });
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket) => {
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    socket.on('end', () => socket.destroy());
    upgrades.push({ url: req.url ?? '', headers: req.headers });
    const key = String(req.headers['sec-websocket-key'] ?? '');
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    requests,
    upgrades,
    reset() {
      requests.length = 0;
      upgrades.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of upgraded) socket.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

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

/** A login stopped just before its callback. */
export interface PendingLogin {
  /** The callback URL the provider sent the browser to (absolute, on the BFF). */
  callbackUrl: string;
  /** The callback's path and query, for `client.fetch`. */
  callbackPath: string;
  state: string;
  nonce: string;
  code: string;
}

/** Starts a login in `client`, signs in at the provider as `user`, stops before the callback. */
export async function pendingLogin(client: BffClient, user = 'alice', returnTo?: string): Promise<PendingLogin> {
  const start = await client.fetch(`/bff/login${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''}`, { csrf: false });
  expect(start.status, 'login redirects to the provider').toBe(302);
  const authorization = new URL(start.headers.get('location')!);
  const page = await browse(client.jar, authorization, { stopAt: (u) => u.pathname.endsWith('/bff/callback') });
  let done = page;
  if (!page.stopped) {
    const html = await page.response.text();
    expect(html, 'the provider shows its login form').toContain('name="password"');
    done = await browse(client.jar, formAction(html, page.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login: user, password: user }),
      stopAt: (u) => u.pathname.endsWith('/bff/callback'),
    });
  }
  expect(done.stopped, 'the walk stopped at the callback').toBe(true);
  const callback = new URL(done.url);
  return {
    callbackUrl: callback.href,
    callbackPath: `${callback.pathname}${callback.search}`,
    state: authorization.searchParams.get('state')!,
    nonce: authorization.searchParams.get('nonce')!,
    code: callback.searchParams.get('code')!,
  };
}

/** What the token endpoint was asked and answered, as seen through the interceptor. */
export interface TokenExchange {
  request: URLSearchParams;
  status: number;
  response: Record<string, unknown>;
}

type Rewrite = (body: Record<string, unknown>, request: URLSearchParams) => Record<string, unknown> | Promise<Record<string, unknown>>;

/**
 * Wraps `globalThis.fetch` (which oidc-client-ts calls for the token
 * endpoint) so that every JSON answer of `tokenEndpoint` passes through
 * `rewrite` before the BFF sees it; every exchange is recorded. The BFF runs
 * in this process (startDemoStack), so this is a man-in-the-middle between
 * the BFF and the real provider without a second server, and the discovery
 * document, the issuer and the JWKS stay the real ones. Call `restore()` in
 * a `finally`.
 */
export function interceptTokenEndpoint(tokenEndpoint: string, rewrite: Rewrite = (body) => body): { exchanges: TokenExchange[]; restore(): void } {
  const original = globalThis.fetch;
  const exchanges: TokenExchange[] = [];
  const intercepting: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url !== tokenEndpoint) return original(input, init);
    const request = new URLSearchParams(typeof init?.body === 'string' || init?.body instanceof URLSearchParams ? String(init.body) : '');
    const response = await original(input, init);
    const text = await response.text();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return new Response(text, { status: response.status, headers: { 'content-type': response.headers.get('content-type') ?? 'text/plain' } });
    }
    const rewritten = response.ok ? await rewrite(body, request) : body;
    exchanges.push({ request, status: response.status, response: body });
    return new Response(JSON.stringify(rewritten), { status: response.status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } });
  };
  globalThis.fetch = intercepting;
  return {
    exchanges,
    restore() {
      if (globalThis.fetch === intercepting) globalThis.fetch = original;
    },
  };
}

/** The provider's discovery document. */
export async function discovery(issuer: string): Promise<Record<string, string>> {
  return (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
}

/** The Set-Cookie values of `response` for cookie `name`. */
export function setCookiesNamed(response: Response | { headers: IncomingHttpHeaders }, name: string): string[] {
  const all = response instanceof Response ? response.headers.getSetCookie() : ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  return all.filter((c) => c.startsWith(`${name}=`));
}

/** An arena whose BFF proxies `/api/todos` to the todo API and `/api/echo` (plus `extra` routes) to a recording upstream. */
export interface EchoArena {
  arena: Arena;
  echo: Upstream;
  /** The signed-in sentinel's Cookie header. */
  cookie: string;
  /** Forgets what the todo API and the echo upstream recorded. */
  reset(): void;
  stop(): Promise<void>;
}

/** Starts an {@link EchoArena}; `extra` adds routes to the recording upstream (`path`, upstream path, options). */
export async function startEchoArena(extra: (echoUrl: string) => ApiRoute[] = () => []): Promise<EchoArena> {
  const echo = await startUpstream();
  const arena = await startArena({
    bff: ({ api }) => ({
      apis: [{ path: '/api/todos', target: `${api.url}/todos`, token: 'user' }, { path: '/api/echo', target: `${echo.url}/echo`, token: 'user' }, ...extra(echo.url)],
    }),
  });
  return {
    arena,
    echo,
    cookie: arena.sentinel.jar.cookieHeader(arena.baseUrl)!,
    reset() {
      arena.stack.api.requests.length = 0;
      echo.reset();
    },
    async stop() {
      await arena.stop();
      await echo.close();
    },
  };
}

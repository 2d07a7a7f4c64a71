/**
 * The API proxy: allowlisted routes only, the session's bearer token added,
 * browser credentials removed, bodies streamed, traversal refused before
 * anything reaches an upstream, and a dead upstream answered with 502.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BffClient } from '../helpers/bff-client.ts';
import { closedPort, dump, expectNoTokenIn, rawRequest, tokensOf } from '../helpers/bff-harness.ts';

/** What the echo upstream saw of one request. */
interface Echoed {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  size: number;
  sha256: string;
}

/** A tiny upstream that echoes each request (and sets a cookie the BFF must drop). */
interface EchoServer {
  url: string;
  seen: Echoed[];
  /** Resolves when a request on /echo/stream has delivered its first body bytes. */
  firstChunk: Promise<void>;
  close(): Promise<void>;
}

async function startEcho(): Promise<EchoServer> {
  const seen: Echoed[] = [];
  let markFirstChunk!: () => void;
  const firstChunk = new Promise<void>((resolve) => (markFirstChunk = resolve));
  const server: Server = createServer((req, res) => {
    const hash = createHash('sha256');
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size === 0 && req.url?.startsWith('/echo/stream')) markFirstChunk();
      size += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => {
      const echoed: Echoed = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, size, sha256: hash.digest('hex') };
      seen.push(echoed);
      const bytes = new URL(req.url ?? '/', 'http://echo').searchParams.get('bytes');
      if (bytes) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'set-cookie': 'upstream=1; Path=/' });
        res.end(Buffer.alloc(Number(bytes), 0x61));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['upstream=1; Path=/', 'portcullis=evil; Path=/'] });
      res.end(req.method === 'HEAD' ? undefined : JSON.stringify(echoed));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    seen,
    firstChunk,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let stack: DemoStack;
let echo: EchoServer;
let alice: BffClient;

beforeAll(async () => {
  echo = await startEcho();
  const dead = await closedPort();
  stack = await startDemoStack({
    logger: silentLogger,
    // `apis` replaces the stack's own list: the todo route is repeated.
    bff: ({ api }) => ({
      apis: [
        { path: '/api/todos', target: `${api.url}/todos`, token: 'user' },
        { path: '/api/echo', target: `${echo.url}/echo`, token: 'user' },
        { path: '/api/dead', target: `http://localhost:${dead}/x`, token: 'user', timeout: 5000 },
      ],
    }),
  });
  alice = new BffClient(stack.baseUrl);
  await alice.login('alice');
});
afterAll(async () => {
  await stack?.stop();
  await echo?.close();
});

const upstream = () => stack.api.requests;
const lastUpstream = () => stack.api.requests.at(-1)!;

describe('API proxy: forwarding', () => {
  beforeEach(() => {
    stack.api.requests.length = 0;
    echo.seen.length = 0;
  });

  it("GET /api/todos lists the user's todos with the session's access token", async () => {
    const response = await alice.fetch('/api/todos');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { todos: Array<{ id: string; title: string }> };
    expect(body.todos.length).toBeGreaterThanOrEqual(1);
    expect(upstream()).toHaveLength(1);
    expect(lastUpstream().method).toBe('GET');
    expect(lastUpstream().path).toBe('/todos');
    const tokens = await tokensOf(stack, alice);
    expect(lastUpstream().authorization).toBe(`Bearer ${tokens.accessToken}`);
  });

  it('POST, PATCH and DELETE with JSON bodies reach /todos and /todos/<id>', async () => {
    const created = await alice.fetch('/api/todos', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'proxied todo' }) });
    expect(created.status).toBe(201);
    const todo = (await created.json()) as { id: string; title: string; done: boolean };
    expect(todo.title).toBe('proxied todo');

    const patched = await alice.fetch(`/api/todos/${todo.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ done: true }) });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { done: boolean }).done).toBe(true);

    const one = await alice.fetch(`/api/todos/${todo.id}`);
    expect(((await one.json()) as { done: boolean }).done).toBe(true);

    const deleted = await alice.fetch(`/api/todos/${todo.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    const gone = await alice.fetch(`/api/todos/${todo.id}`);
    expect(gone.status).toBe(404);

    expect(upstream().map((r) => `${r.method} ${r.path}`)).toEqual(['POST /todos', `PATCH /todos/${todo.id}`, `GET /todos/${todo.id}`, `DELETE /todos/${todo.id}`, `GET /todos/${todo.id}`]);
    const tokens = await tokensOf(stack, alice);
    for (const r of upstream()) expect(r.authorization).toBe(`Bearer ${tokens.accessToken}`);
  });

  it('passes the upstream status and error body through (e.g. 400 for an invalid todo)', async () => {
    const response = await alice.fetch('/api/todos', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: '' }) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('forwards every method with its body, and the path below the prefix with the query string untouched', async () => {
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const body = method === 'GET' ? undefined : `{"m":"${method}"}`;
      const response = await alice.fetch(`/api/echo/items/42?filter=open&q=a%20b&x=%2F&empty=&list=1&list=2`, {
        method,
        ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}),
      });
      expect(response.status, method).toBe(200);
      const echoed = (await response.json()) as Echoed;
      expect(echoed.method).toBe(method);
      expect(echoed.url).toBe('/echo/items/42?filter=open&q=a%20b&x=%2F&empty=&list=1&list=2');
      expect(echoed.size).toBe(body ? Buffer.byteLength(body) : 0);
    }
    const head = await alice.fetch('/api/echo', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(echo.seen.at(-1)!.method).toBe('HEAD');
    // The prefix itself and with a trailing slash.
    expect(((await (await alice.fetch('/api/echo')).json()) as Echoed).url).toBe('/echo');
    expect(((await (await alice.fetch('/api/echo?a=1')).json()) as Echoed).url).toBe('/echo?a=1');
    expect(((await (await alice.fetch('/api/echo/')).json()) as Echoed).url).toBe('/echo/');
  });

  it('sends Authorization: Bearer <access token>, X-Forwarded-Host/Proto/For, and no Cookie, X-CSRF or browser Authorization', async () => {
    const response = await alice.fetch('/api/echo/headers', {
      headers: { authorization: 'Bearer from-the-browser', 'x-forwarded-for': '6.6.6.6', 'x-forwarded-host': 'evil.com', 'x-forwarded-proto': 'gopher', forwarded: 'for=6.6.6.6' },
    });
    expect(response.status).toBe(200);
    const { headers } = (await response.json()) as Echoed;
    const tokens = await tokensOf(stack, alice);
    expect(alice.jar.cookieHeader(stack.baseUrl)).toContain('portcullis=');
    expect(headers['authorization']).toBe(`Bearer ${tokens.accessToken}`);
    expect(headers['cookie']).toBeUndefined();
    expect(headers['x-csrf']).toBeUndefined();
    expect(headers['forwarded']).toBeUndefined();
    expect(headers['x-forwarded-host']).toBe(new URL(stack.baseUrl).host);
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-for']).toMatch(/^(::1|127\.0\.0\.1|::ffff:127\.0\.0\.1)$/);
    // The same holds at the todo API.
    await alice.fetch('/api/todos');
    const seen = lastUpstream().headers;
    expect(seen['cookie']).toBeUndefined();
    expect(seen['x-csrf']).toBeUndefined();
    expect(seen['x-forwarded-host']).toBe(new URL(stack.baseUrl).host);
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-for']).toBeTruthy();
  });

  it('strips Set-Cookie from upstream responses and leaks no token to the browser', async () => {
    const response = await alice.fetch('/api/echo/cookies');
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual([]);
    const tokens = await tokensOf(stack, alice);
    // The echo body holds the forwarded headers (token included) by design; the BFF's own headers must not.
    const headerText = [...response.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n');
    expectNoTokenIn(headerText, tokens, 'proxied response headers');
    await response.body?.cancel();
    const todos = await alice.fetch('/api/todos');
    expectNoTokenIn(await dump(todos), tokens, 'proxied todo list');
    expect(alice.jar.get(stack.baseUrl, 'upstream')).toBeUndefined();
  });

  it('streams a 1 MiB request body and a 1 MiB response body intact', async () => {
    const payload = randomBytes(1024 * 1024);
    const response = await alice.fetch('/api/echo/upload', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: payload });
    expect(response.status).toBe(200);
    const echoed = (await response.json()) as Echoed;
    expect(echoed.size).toBe(payload.length);
    expect(echoed.sha256).toBe(createHash('sha256').update(payload).digest('hex'));

    const download = await alice.fetch('/api/echo/download?bytes=1048576');
    expect(download.status).toBe(200);
    expect((await download.arrayBuffer()).byteLength).toBe(1024 * 1024);
  });

  it('streams the request body: the upstream sees the first chunk before the browser sends the rest', async () => {
    const first = Buffer.alloc(64 * 1024, 1);
    const rest = Buffer.alloc(64 * 1024, 2);
    let streamed = false;
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(first);
        // A buffering proxy would wait for the end of the body: give up after 3 s.
        streamed = await Promise.race([echo.firstChunk.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000))]);
        controller.enqueue(rest);
        controller.close();
      },
    });
    const response = await alice.fetch('/api/echo/stream', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' }, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(200);
    expect(((await response.json()) as Echoed).size).toBe(first.length + rest.length);
    expect(streamed).toBe(true);
  });
});

describe('API proxy: refusals', () => {
  beforeEach(() => {
    stack.api.requests.length = 0;
    echo.seen.length = 0;
  });

  it('answers 401 JSON without a session, and forwards nothing', async () => {
    const anonymous = new BffClient(stack.baseUrl);
    for (const [path, method] of [
      ['/api/todos', 'GET'],
      ['/api/todos', 'POST'],
      ['/api/echo/x', 'DELETE'],
    ] as const) {
      const response = await anonymous.fetch(path, { method });
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toEqual({ error: 'unauthenticated', error_description: expect.any(String) });
    }
    expect(upstream()).toHaveLength(0);
    expect(echo.seen).toHaveLength(0);
  });

  it('answers 403 without X-CSRF: 1 (or with a cross-site Origin / Sec-Fetch-Site), and forwards nothing', async () => {
    const attempts: Array<RequestInit & { csrf?: boolean }> = [
      { csrf: false },
      { csrf: false, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"csrf"}' },
      { csrf: false, headers: { 'x-csrf': '0' } },
      { headers: { origin: 'https://evil.com' } },
      { method: 'DELETE', headers: { 'sec-fetch-site': 'cross-site' } },
    ];
    for (const init of attempts) {
      const response = await alice.fetch('/api/todos', init);
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: string }).error).toBe('csrf_required');
    }
    const anonymous = await new BffClient(stack.baseUrl).fetch('/api/todos', { csrf: false });
    expect(anonymous.status).toBe(403);
    expect(upstream()).toHaveLength(0);
  });

  const traversal = [
    '/api/todos/../admin',
    '/api/todos/..',
    '/api/todos/./x',
    '/api/todos//x',
    '/api/todos/%2e%2e/admin',
    '/api/todos/%2E%2E/admin',
    '/api/todos/.%2e/admin',
    '/api/todos/..%2fadmin',
    '/api/todos/..%2Fadmin',
    '/api/todos/..%5cadmin',
    '/api/todos/..\\admin',
    '/api/todos/x%00',
    '/api/todos%2f..',
    '/api/todos%2F..%2Fadmin',
    '/api/todos%5c..',
    '/api/echo/../todos',
    '/api/echo%2f..%2ftodos',
  ];

  it.each(traversal)('refuses %s with 400 and never reaches an upstream', async (path) => {
    const response = await rawRequest(stack.baseUrl, path, { headers: { cookie: alice.jar.cookieHeader(stack.baseUrl)!, 'x-csrf': '1' } });
    expect(upstream()).toHaveLength(0);
    expect(echo.seen).toHaveLength(0);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
  });

  it('does not proxy a path outside the allowlist: it falls through to the app (404)', async () => {
    const cookie = alice.jar.cookieHeader(stack.baseUrl)!;
    for (const path of ['/api/other', '/api/other/todos', '/api/todosx', '/api/todos-admin', '/api', '/api/']) {
      const response = await rawRequest(stack.baseUrl, path, { headers: { cookie, 'x-csrf': '1' } });
      expect(response.status, path).toBe(404);
    }
    // Other spellings are the app's business (here the SPA placeholder page), never the proxy's.
    for (const path of ['/API/todos', '/Api/todos/1']) {
      const response = await rawRequest(stack.baseUrl, path, { headers: { cookie, 'x-csrf': '1' } });
      expect(response.status, path).toBe(200);
      expect(response.body, path).toContain('No SPA build');
    }
    expect(upstream()).toHaveLength(0);
    expect(echo.seen).toHaveLength(0);
  });

  it('answers 502 bad_gateway JSON when the upstream is unreachable, and keeps working afterwards', async () => {
    const response = await alice.fetch('/api/dead/anything', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ error: 'bad_gateway', error_description: expect.any(String) });
    const again = await alice.fetch('/api/dead');
    expect(again.status).toBe(502);
    await again.body?.cancel();
    expect((await alice.fetch('/api/todos')).status).toBe(200);
    expect((await alice.user()).status).toBe(200);
  });
});

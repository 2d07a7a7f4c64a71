// A Koa app on a free port and a raw HTTP client (node:http, so a test can
// send two Authorization headers, which fetch would merge into one).
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

import Koa, { type Middleware } from 'koa';

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

export interface TestApi {
  readonly url: string;
  readonly app: Koa;
  /** Errors the app emitted (`app.on('error')`). */
  readonly errors: unknown[];
  request(path?: string, options?: { method?: string; headers?: Record<string, string | string[]>; body?: string }): Promise<ApiResponse>;
  close(): Promise<void>;
}

/**
 * Starts Koa with the given middleware followed by a handler echoing
 * `ctx.state.auth`.
 */
export async function startApi(...middleware: Middleware[]): Promise<TestApi> {
  const app = new Koa();
  const errors: unknown[] = [];
  app.silent = true;
  app.on('error', (err: unknown) => errors.push(err));
  for (const mw of middleware) app.use(mw);
  app.use((ctx) => {
    ctx.body = { ok: true, auth: ctx.state.auth as unknown };
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    app,
    errors,
    request(path = '/', { method = 'GET', headers = {}, body } = {}) {
      return new Promise<ApiResponse>((resolve, reject) => {
        const req = httpRequest(`${url}${path}`, { method, headers: headers as OutgoingHttpHeaders, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parsed });
          });
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** The whole response (status line aside) as one string, to look for a leaked token. */
export function responseText(res: ApiResponse): string {
  return `${JSON.stringify(res.headers)}\n${res.text}`;
}

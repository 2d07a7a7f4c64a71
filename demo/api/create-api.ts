import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import { isClientToken, requireAccessToken, requireAuthentication, requireScope, type AuthState, type DpopOptions } from '@portcullis/api-guard';
import { BodyTooLargeError, readBody } from '../shared/read-body.ts';
import { TodoStore } from './todo-store.ts';

const JSON_LIMIT = 16 * 1024;
/** The demo provider's acr for password + one-time code (demo/provider/mfa.ts). */
export const MFA_ACR = 'urn:portcullis:mfa';
const TITLE_MAX = 200;

export interface TodoApiOptions {
  /** 0 or undefined = a free port. */
  port?: number;
  /** Default 'localhost'. */
  host?: string;
  issuer: string;
  /** Expected `aud` of access tokens (the API's resource indicator). */
  audience: string;
  /**
   * Per-route scopes: GET /todos… needs `todos:read`, POST/PATCH/DELETE need
   * `todos:write`. Default false, because the BFF's default scope
   * (`openid profile email offline_access`) asks for neither, and the
   * provider grants API scopes only when asked: turn it on together with
   * `scope: 'openid profile email offline_access todos:read todos:write'` in
   * the BFF's options. Todos need a user token either way.
   */
  requireScopes?: boolean;
  /** Initial todos by `sub`; default alice: 2, bob: 1. */
  seed?: Record<string, string[]>;
  /**
   * A server already listening (its port reserved before the provider learnt the API's audience):
   * the API answers on it instead of listening itself. `port` is then ignored.
   */
  server?: Server;
  /**
   * DPoP-bound tokens (RFC 9449), @portcullis/api-guard's `dpop` option:
   * `true` accepts them beside bearer tokens, `{ required: true }` (the demo
   * in FAPI 2 mode) refuses bearer tokens, so a stolen DPoP-bound token is of
   * no use without its key. Default off: bearer tokens only.
   */
  dpop?: boolean | DpopOptions;
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface TodoApi {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Every request received, in order (tests check what the BFF forwarded). */
  requests: RecordedRequest[];
}

type State = AuthState;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

/**
 * Todos belong to users: they are keyed by the token's `sub`. A client token
 * (client_credentials: a machine acting for itself, `sub` = `client_id`) has
 * no user, so it is refused with 403 whatever its scopes. Keying its own list
 * by `sub` instead would be unsafe: a client named like a user would read
 * that user's todos. This check runs before the scope check, because no scope
 * can make a machine token acceptable here.
 */
const requireUser: Koa.Middleware<State> = async (ctx, next) => {
  if (isClientToken(ctx.state.auth)) {
    throw new HttpError(403, 'user_token_required', 'todos belong to users: a client token cannot read or change them');
  }
  await next();
};

async function readJson(ctx: Koa.Context): Promise<Record<string, unknown>> {
  if (!ctx.is('application/json', '+json')) {
    throw new HttpError(415, 'unsupported_media_type', 'expected an application/json body');
  }
  let value: unknown;
  try {
    value = JSON.parse(await readBody(ctx.req, JSON_LIMIT));
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw new HttpError(413, 'payload_too_large', err.message);
    throw new HttpError(400, 'invalid_json', 'the body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'invalid_request', 'the body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function validTitle(value: unknown): string {
  if (typeof value !== 'string') throw new HttpError(400, 'invalid_request', 'title must be a string');
  const title = value.trim();
  if (title.length < 1 || title.length > TITLE_MAX) {
    throw new HttpError(400, 'invalid_request', `title must be 1 to ${TITLE_MAX} characters`);
  }
  return title;
}

/** The todo REST API as a Koa app, without listening. */
export function createTodoApp(options: TodoApiOptions, requests: RecordedRequest[] = []): Koa<State> {
  const app = new Koa<State>();
  const store = new TodoStore(options.seed);
  // Only user tokens reach the todo routes (requireUser), so `sub` is set.
  const owner = (ctx: Koa.ParameterizedContext<State>) => ctx.state.auth.sub!;

  app.use(async (ctx, next) => {
    requests.push({
      method: ctx.method,
      path: ctx.path,
      authorization: ctx.get('authorization') || undefined,
      headers: { ...ctx.headers },
    });
    ctx.set('Cache-Control', 'no-store');
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new HttpError(404, 'not_found', 'no such resource');
    } catch (err) {
      if (err instanceof HttpError) {
        ctx.status = err.status;
        ctx.body = { error: err.error, error_description: err.description };
      } else if (err instanceof BodyTooLargeError) {
        ctx.status = 413;
        ctx.body = { error: 'payload_too_large', error_description: err.message };
      } else {
        const status = (err as { status?: number }).status;
        if (status && status >= 400 && status < 500) {
          ctx.status = status;
          ctx.body = { error: 'invalid_request', error_description: (err as Error).message };
        } else {
          ctx.app.emit('error', err, ctx);
          ctx.status = 500;
          ctx.body = { error: 'server_error', error_description: 'unexpected error' };
        }
      }
    }
  });

  const open = new Router<State>();
  open.get('/health', (ctx) => {
    ctx.body = { ok: true };
  });
  app.use(open.routes());

  const router = new Router<State>();
  // Answers 401 (with WWW-Authenticate), 400 or 503 itself; sets ctx.state.auth.
  router.use(
    requireAccessToken({
      issuer: options.issuer,
      audience: options.audience,
      // Demo: refetch the JWKS as soon as a token names an unknown kid, so a
      // rotated key is accepted at once (the default 30 s cooldown protects
      // the provider from tokens with made-up kids; keep it in production).
      jwksCooldown: 0,
      ...(options.dpop === undefined ? {} : { dpop: options.dpop }),
    }),
  );

  // Per route:
  // - /whoami needs no scope: any valid token for this API may ask who it is.
  //   The demo provider gives a client_credentials token no scope at all
  //   unless the client asks for one (`scope=` parameter), and the BFF's
  //   `client` routes and demo/job.ts do not ask.
  // - /todos… need a user token (requireUser, first: no scope can make a
  //   machine token acceptable), then, with `requireScopes`, todos:read for
  //   GET and todos:write for POST/PATCH/DELETE (403 insufficient_scope).
  // - DELETE /todos (all of them) also needs the MFA acr (requireAuthentication).
  const scoped = (scope: string): Koa.Middleware<State>[] => (options.requireScopes ? [requireUser, requireScope(scope)] : [requireUser]);
  const read = scoped('todos:read');
  const write = scoped('todos:write');

  router.get('/whoami', (ctx) => {
    const { sub, clientId, scopes, kind } = ctx.state.auth;
    ctx.body = { sub, clientId, scopes, kind };
  });

  router.get('/todos', ...read, (ctx) => {
    ctx.body = { todos: store.list(owner(ctx)) };
  });

  router.post('/todos', ...write, async (ctx) => {
    const body = await readJson(ctx);
    ctx.status = 201;
    ctx.body = store.add(owner(ctx), validTitle(body.title));
  });

  router.get('/todos/:id', ...read, (ctx) => {
    const todo = store.get(owner(ctx), ctx.params.id!);
    if (!todo) throw new HttpError(404, 'not_found', 'no such todo');
    ctx.body = todo;
  });

  router.patch('/todos/:id', ...write, async (ctx) => {
    const body = await readJson(ctx);
    const patch: { done?: boolean; title?: string } = {};
    if (body.done !== undefined) {
      if (typeof body.done !== 'boolean') throw new HttpError(400, 'invalid_request', 'done must be a boolean');
      patch.done = body.done;
    }
    if (body.title !== undefined) patch.title = validTitle(body.title);
    const todo = store.update(owner(ctx), ctx.params.id!, patch);
    if (!todo) throw new HttpError(404, 'not_found', 'no such todo');
    ctx.body = todo;
  });

  // Clearing the whole list is the demo's destructive action: it needs a user
  // token whose sign-in included the one-time code (RFC 9470 step-up). A
  // password-only token gets 401 insufficient_user_authentication with
  // acr_values="urn:portcullis:mfa": sign in again with that acr_values.
  router.delete('/todos', ...write, requireAuthentication({ acr: [MFA_ACR] }), (ctx) => {
    ctx.body = { deleted: store.clear(owner(ctx)) };
  });

  router.delete('/todos/:id', ...write, (ctx) => {
    if (!store.remove(owner(ctx), ctx.params.id!)) throw new HttpError(404, 'not_found', 'no such todo');
    ctx.status = 204;
  });

  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

/** Starts the todo API on http://{host}:{port}. */
export async function startTodoApi(options: TodoApiOptions): Promise<TodoApi> {
  const host = options.host ?? 'localhost';
  const requests: RecordedRequest[] = [];
  const app = createTodoApp(options, requests);
  let server: Server;
  if (options.server) {
    server = options.server;
    server.removeAllListeners('request');
    server.on('request', app.callback());
  } else {
    server = createServer(app.callback());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    requests,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/**
 * The compatibility matrix's BFF side: a BFF with one `provider` profile in
 * front of a simulated provider (provider.ts) and a tiny upstream API, and
 * the walk every profile runs (login, /bff/user, a proxied call, a refresh,
 * logout, back- or front-channel logout), driven like a browser tab.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBff, silentLogger, type BffMiddleware, type BffOptions } from '@portcullis/bff';
import { BffClient } from '../helpers/bff-client.ts';
import { browse, type BrowseResult, type CookieJar } from '../helpers/cookie-jar.ts';
import { createKoaApp } from '../helpers/koa.ts';
import { startTestProvider, type ProviderBehaviour, type TestProvider } from './provider.ts';

/** The provider profiles of the matrix. */
export type ProfileName = NonNullable<BffOptions['provider']>;

/** A BFF, its simulated provider and the upstream API. */
export interface MatrixStack {
  baseUrl: string;
  provider: TestProvider;
  bff: BffMiddleware;
  /** Authorization headers the upstream API received, in order. */
  upstreamSeen: Array<string | undefined>;
  stop(): Promise<void>;
}

const listen = async (server: Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  return (server.address() as AddressInfo).port;
};
const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

/** Starts upstream, BFF (profile `profile`, plus `extra` options) and the provider reproducing `behaviour`. */
export async function startMatrix(profile: ProfileName, behaviour: ProviderBehaviour, extra: Partial<BffOptions> = {}): Promise<MatrixStack> {
  const upstreamSeen: Array<string | undefined> = [];
  const upstream = createServer((req, res) => {
    upstreamSeen.push(req.headers.authorization);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
  });
  const upstreamPort = await listen(upstream);

  let handler: Parameters<typeof createServer>[1] = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handler!(req, res));
  const baseUrl = `http://localhost:${await listen(server)}`;
  const provider = await startTestProvider(behaviour, baseUrl);
  const bff = createBff({
    provider: profile,
    issuer: provider.issuer,
    clientId: provider.clientId,
    clientSecret: provider.clientSecret,
    baseUrl,
    session: { keys: ['matrix-session-key-matrix-session-key-0123'] },
    apis: [{ path: '/api/echo', target: `http://localhost:${upstreamPort}/echo` }],
    logger: silentLogger,
    rateLimit: false,
    ...extra,
    // Every simulated provider may use front-channel logout: the endpoint is opt-in.
    logout: { frontchannel: true, ...extra.logout },
  });
  const app = createKoaApp();
  app.use(bff);
  app.use(async (ctx: unknown) => {
    (ctx as { body: string }).body = 'the app';
  });
  handler = app.callback();
  return {
    baseUrl,
    provider,
    bff,
    upstreamSeen,
    async stop() {
      await bff.close();
      await Promise.all([close(server), close(upstream), provider.stop()]);
    },
  };
}

/**
 * Submits the provider's pages like a user: the login form (any password), a consent form, the
 * logout confirmation; stops when the walk leaves the provider or shows no form.
 */
export async function throughProvider(jar: CookieJar, start: BrowseResult, issuer: string): Promise<BrowseResult> {
  let result = start;
  for (let step = 0; step < 5 && result.url.startsWith(issuer) && result.response.status === 200; step++) {
    const html = await result.response.clone().text();
    const form = /<form[^>]*action="([^"]+)"[^>]*>/.exec(html) ?? /<form[^>]*>/.exec(html);
    if (!form) return result;
    const action = form[1] ? form[1].replace(/&amp;/g, '&') : /action="([^"]+)"/.exec(form[0])?.[1];
    if (!action) return result;
    const body = new URLSearchParams();
    for (const input of html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) body.set(input[1]!, input[2]!);
    if (html.includes('name="login"')) body.set('login', 'alice');
    if (html.includes('name="password"')) body.set('password', 'alice');
    if (html.includes('name="logout"')) body.set('logout', 'yes');
    result = await browse(jar, new URL(action, result.url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  }
  return result;
}

/** Logs a new tab in through `/bff/login`; the walk's last page (on the app when it worked). */
export async function signIn(stack: MatrixStack, tab = new BffClient(stack.baseUrl)): Promise<{ tab: BffClient; landed: BrowseResult }> {
  const landed = await throughProvider(tab.jar, await tab.navigate('/bff/login'), stack.provider.issuer);
  return { tab, landed };
}

/** Follows `/bff/logout` through the provider back to the app (or wherever it stops). */
export async function signOut(stack: MatrixStack, tab: BffClient, logoutUrl: string): Promise<{ first: Response; landed: BrowseResult }> {
  const first = await tab.fetch(logoutUrl, { csrf: false });
  const location = first.headers.get('location');
  if (!location) return { first, landed: { response: first, url: new URL(logoutUrl, stack.baseUrl).href, stopped: false, visited: [] } };
  const landed = await throughProvider(tab.jar, await browse(tab.jar, new URL(location, stack.baseUrl)), stack.provider.issuer);
  return { first, landed };
}

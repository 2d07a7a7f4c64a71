/**
 * Front-channel logout (OpenID Connect Front-Channel Logout 1.0) in a real
 * Chromium whose cookie setting blocks third-party cookies: the provider
 * (127.0.0.1:<port>) ends its session on its own logout page, which frames the
 * BFF's `GET /bff/frontchannel-logout?iss=&sid=` (localhost:<port>, another
 * site); that iframe request carries no BFF cookie, and the BFF session still
 * ends, found through the sid index. The browser's cookie jar keeps the BFF
 * cookie: `/bff/user` answers 401 for it. Then what a provider page may frame
 * that must end nothing: a wrong `iss`, no `sid`, an unknown `sid`.
 *
 * Third-party cookie blocking is checked, not assumed: a `SameSite=None;
 * Secure` canary cookie of the BFF's origin (a cookie only the third-party
 * setting keeps out of a cross-site iframe; the session cookie is also kept out
 * by its own SameSite) goes with first-party requests, is absent from the
 * iframe request, and Chromium reports it blocked there for `UserPreferences`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBff, silentLogger, type BffMiddleware, type UserSession } from '@portcullis/bff';
import type { CDPSession, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { consoleProblems, SESSION_COOKIE, watchConsole, type ConsoleEntry } from '../helpers/browser.ts';
import { launchChromiumBlockingThirdPartyCookies, startFrontchannelProvider, type BlockingBrowser, type FrontchannelProvider } from '../helpers/frontchannel.ts';
import { createKoaApp } from '../helpers/koa.ts';
import { internalsOf } from '../../packages/bff/src/internals.ts';

const CLIENT_ID = 'frontchannel-bff';
const CLIENT_SECRET = 'frontchannel-secret';
const CANARY = 'fc_canary';

/** A request the BFF's server received: path + query, its Cookie header, the status it answered. */
interface Seen {
  url: string;
  cookie: string;
  status?: number;
}

let server: Server;
let baseUrl: string;
let provider: FrontchannelProvider;
let bff: BffMiddleware;
let chrome: BlockingBrowser;
let consoleEntries: ConsoleEntry[];
const seen: Seen[] = [];
const told: Array<{ sub: string; kind: string }> = [];

beforeAll(async () => {
  let handler: Parameters<typeof createServer>[1] = (_req, res) => res.writeHead(503).end();
  server = createServer((req, res) => {
    const entry: Seen = { url: req.url ?? '', cookie: req.headers.cookie ?? '' };
    seen.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));
    if (req.url === '/canary') {
      // The canary: a cookie a cross-site iframe gets unless third-party cookies are blocked.
      res.writeHead(200, { 'set-cookie': `${CANARY}=1; Path=/; SameSite=None; Secure`, 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><p>canary set</p>');
      return;
    }
    if (req.url?.startsWith('/frame?')) {
      // A page of another origin than the provider's (the app's own) that frames a URL.
      const src = new URL(req.url, baseUrl).searchParams.get('src') ?? 'about:blank';
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><iframe src="${src.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`)}" title="framed"></iframe>`);
      return;
    }
    handler!(req, res);
  });
  // The BFF on localhost, the provider on 127.0.0.1: two sites, so the provider's iframe is third-party.
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  baseUrl = `http://localhost:${(server.address() as AddressInfo).port}`;
  provider = await startFrontchannelProvider('127.0.0.1', [
    {
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [`${baseUrl}/bff/callback`],
      postLogoutRedirectUris: [`${baseUrl}/`],
      frontchannelLogoutUri: `${baseUrl}/bff/frontchannel-logout`,
    },
  ]);
  expect(new URL(provider.issuer).hostname).not.toBe(new URL(baseUrl).hostname);
  bff = createBff({
    issuer: provider.issuer,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    baseUrl,
    scope: 'openid profile',
    session: { keys: ['frontchannel-session-key-0123456789abcdef'] },
    logout: { frontchannel: true },
    hooks: { onLogout: (event) => void told.push({ ...event }) },
    logger: silentLogger,
    rateLimit: false,
  });
  const app = createKoaApp();
  app.use(bff);
  app.use(async (ctx: unknown) => {
    Object.assign(ctx as object, { type: 'html', body: '<!doctype html><html><body><p>the app</p></body></html>' });
  });
  handler = app.callback();
  chrome = await launchChromiumBlockingThirdPartyCookies();
  consoleEntries = await watchConsole(chrome.context);
});

afterAll(async () => {
  await chrome?.close();
  await bff?.close();
  await provider?.stop();
  if (server) {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
});

let page: Page;
afterEach(async () => {
  await page?.close();
  const problems = consoleProblems(consoleEntries.splice(0), baseUrl);
  expect(problems, 'CSP violations or console errors').toEqual([]);
});

/** A fresh page with an empty cookie jar (one profile for the file: cookies are cleared instead). */
async function freshPage(): Promise<Page> {
  await chrome.context.clearCookies();
  page = await chrome.context.newPage();
  return page;
}

/** Logs in through /bff/login and the provider's form (any password); back on the app. */
async function logIn(p: Page, user = 'alice'): Promise<void> {
  await p.goto(`${baseUrl}/bff/login`);
  await p.waitForURL((url) => url.href.startsWith(`${provider.issuer}/interaction/`));
  await p.locator('input[name="login"]').fill(user);
  await p.locator('input[name="password"]').fill(user);
  await p.locator('button[type="submit"]').click();
  await p.waitForURL(`${baseUrl}/`);
}

/** `GET /bff/user`'s status, fetched by the app's page (the browser's own cookie, `X-CSRF` as the SPA sends it). */
async function userStatus(p: Page): Promise<number> {
  if (!p.url().startsWith(`${baseUrl}/`)) await p.goto(`${baseUrl}/`);
  return p.evaluate(async () => (await fetch('/bff/user', { headers: { 'x-csrf': '1' } })).status);
}

/** The BFF session cookie in the browser's jar and the session record it points to. */
async function browserSession(): Promise<{ value: string; auth: UserSession | undefined }> {
  const cookie = (await chrome.context.cookies(baseUrl)).find((c) => c.name === SESSION_COOKIE);
  if (!cookie) throw new Error('the browser has no BFF session cookie');
  const record = await internalsOf(bff).repository.get(cookie.value.slice(0, cookie.value.indexOf('.')));
  return { value: cookie.value, auth: record?.['auth'] as UserSession | undefined };
}

/** Cookies Chromium associated with each request to the front-channel endpoint (sent or blocked, and why). */
async function watchFrontchannelCookies(p: Page): Promise<{ cdp: CDPSession; requests: Map<string, { url?: string; cookies?: Array<{ name: string; blockedReasons: string[] }> }> }> {
  const cdp = await chrome.context.newCDPSession(p);
  const requests = new Map<string, { url?: string; cookies?: Array<{ name: string; blockedReasons: string[] }> }>();
  const entry = (id: string) => requests.get(id) ?? (requests.set(id, {}), requests.get(id)!);
  cdp.on('Network.requestWillBeSent', (e) => void (entry(e.requestId).url = e.request.url));
  cdp.on('Network.requestWillBeSentExtraInfo', (e) => void (entry(e.requestId).cookies = e.associatedCookies.map((c) => ({ name: c.cookie.name, blockedReasons: c.blockedReasons }))));
  await cdp.send('Network.enable');
  return { cdp, requests };
}

/** Waits until the BFF's server has answered `count` front-channel requests after `from`. */
async function frontchannelRequests(from: number, count: number): Promise<Seen[]> {
  const until = Date.now() + 10_000;
  for (;;) {
    const found = seen.slice(from).filter((s) => s.url.startsWith('/bff/frontchannel-logout') && s.status !== undefined);
    if (found.length >= count) return found;
    if (Date.now() > until) throw new Error(`expected ${count} front-channel requests, saw ${found.length}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const cookieNames = (header: string) =>
  header
    .split(';')
    .map((c) => c.trim().split('=')[0])
    .filter(Boolean);

describe('front-channel logout in Chromium with third-party cookies blocked', () => {
  it("the provider's logout page frames /bff/frontchannel-logout without the BFF cookie, and the BFF session ends", async () => {
    const p = await freshPage();
    await p.goto(`${baseUrl}/canary`);
    await logIn(p, 'alice');
    expect(await userStatus(p)).toBe(200);
    const before = await browserSession();
    expect(before.auth?.sub).toBe('alice');
    const sid = before.auth?.sid;
    expect(sid, 'the ID token carries the provider session id').toBeTruthy();

    // First-party, the browser sends both cookies: the canary is a valid cookie of the BFF's origin.
    const firstParty = seen.filter((s) => s.url === '/bff/user').at(-1)!;
    expect(cookieNames(firstParty.cookie)).toEqual(expect.arrayContaining([SESSION_COOKIE, CANARY]));

    // The user signs out at the provider itself (not through the BFF): only the iframe can tell the BFF.
    const { cdp, requests } = await watchFrontchannelCookies(p);
    const mark = seen.length;
    told.length = 0;
    await p.goto(`${provider.issuer}/session/end`);
    await p.locator('button[name="logout"][value="yes"]').click();
    const [request] = await frontchannelRequests(mark, 1);
    await p.waitForURL(`${provider.issuer}/session/end/success`);
    await p.getByTestId('provider-signed-out').waitFor();

    // The provider framed exactly the registered URI with its iss and this session's sid.
    expect(provider.logoutPages.at(-1)).toEqual([`${baseUrl}/bff/frontchannel-logout?${new URLSearchParams({ iss: provider.issuer, sid: sid! })}`]);
    expect(request!.status).toBe(200);
    // No cookie of the BFF's origin in the iframe request: neither the session cookie nor the canary.
    expect(cookieNames(request!.cookie)).not.toContain(SESSION_COOKIE);
    expect(cookieNames(request!.cookie)).not.toContain(CANARY);
    // ...and Chromium says why: the canary (SameSite=None) was blocked by the third-party cookie setting.
    const framed = [...requests.values()].find((r) => r.url?.startsWith(`${baseUrl}/bff/frontchannel-logout`));
    expect(framed?.cookies, 'Chromium reported the iframe request').toBeDefined();
    expect(framed!.cookies!.filter((c) => c.blockedReasons.length === 0)).toEqual([]);
    expect(framed!.cookies!.find((c) => c.name === CANARY)?.blockedReasons).toContain('UserPreferences');
    await cdp.detach();

    // The browser still holds the BFF cookie; the session it names is gone.
    const after = await browserSession();
    expect(after.value).toBe(before.value);
    expect(after.auth).toBeUndefined();
    expect(await userStatus(p)).toBe(401);
    expect(cookieNames(seen.filter((s) => s.url === '/bff/user').at(-1)!.cookie)).toContain(SESSION_COOKIE);
    expect(told).toEqual([{ sub: 'alice', kind: 'frontchannel' }]);
  });

  it('framed from the provider: a wrong iss, no sid or an unknown sid end nothing', async () => {
    const p = await freshPage();
    await logIn(p, 'bob');
    const { auth } = await browserSession();
    const sid = auth!.sid!;
    expect(sid).toBeTruthy();
    told.length = 0;
    const cases: Array<[string, Record<string, string>, number, string]> = [
      ['wrong iss', { iss: 'http://evil.example', sid }, 400, 'Logout request refused.'],
      ['iss with a trailing slash', { iss: `${provider.issuer}/`, sid }, 400, 'Logout request refused.'],
      ['no sid', { iss: provider.issuer }, 400, 'Logout request refused.'],
      ['unknown sid', { iss: provider.issuer, sid: `${sid}-not` }, 200, 'Signed out.'],
    ];
    for (const [name, query, status, text] of cases) {
      const mark = seen.length;
      await p.goto(provider.frameUrl(`${baseUrl}/bff/frontchannel-logout?${new URLSearchParams(query)}`));
      const [request] = await frontchannelRequests(mark, 1);
      expect(request!.status, name).toBe(status);
      // The provider's origin may frame the answer (frame-ancestors): it renders in the iframe.
      const frame = p.frames().find((f) => f.url().startsWith(`${baseUrl}/bff/frontchannel-logout`));
      expect(await frame?.locator('body').textContent(), name).toBe(text);
    }
    expect((await browserSession()).auth?.sub).toBe('bob');
    expect(await userStatus(p)).toBe(200);
    expect(told).toEqual([]);
  });

  it("only the provider's origin may frame the answer (frame-ancestors): Chromium refuses to show it inside another origin's page", async () => {
    const p = await freshPage();
    const mark = seen.length;
    await p.goto(`${baseUrl}/frame?${new URLSearchParams({ src: `${baseUrl}/bff/frontchannel-logout?${new URLSearchParams({ iss: provider.issuer, sid: 'nobody' })}` })}`);
    const [request] = await frontchannelRequests(mark, 1);
    expect(request!.status).toBe(200);
    const refused = () => consoleEntries.filter((e) => e.kind === 'csp' && /frame-ancestors/.test(e.text));
    const until = Date.now() + 5000;
    while (!refused().length && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(refused().length, 'a frame-ancestors refusal in the console').toBeGreaterThan(0);
    const frame = p.frames().find((f) => f !== p.mainFrame());
    expect(
      await frame
        ?.locator('body')
        .textContent()
        .catch(() => ''),
    ).not.toBe('Signed out.');
    // The refusal is what this test expects: keep it out of the per-test console check.
    consoleEntries.splice(0);
  });
});

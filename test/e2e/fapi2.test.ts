/**
 * The demo end to end in FAPI 2.0 mode (startDemoStack({ securityProfile:
 * 'fapi2' })), in headless Chromium: the BFF signs in with PAR,
 * private_key_jwt and DPoP; the API refuses anything but DPoP. A session
 * (login, todos, add one, refreshes, logout) is recorded, and the browser
 * must see no token, no DPoP key and no client key, and its only
 * authorization request must carry nothing but `client_id` and `request_uri`.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type SessionRecord, type TokenSet, type UserSession } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import { calculateJwkThumbprint, decodeJwt, type JWK } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dpopProof, generateDpopKey } from '../../demo/provider/fapi2-client.ts';
import { BffClient } from '../helpers/bff-client.ts';
import { freePort } from '../integration/server-harness.ts';
import { confirmProviderLogout, consoleProblems, ensureSpaBuilt, launchChromium, logInFromHome, openTab, SPA_DIST, todoTitles } from '../helpers/browser.ts';
import { internalsOf } from '../../packages/bff/src/internals.ts';
import { startDemoProcess, type DemoProcess } from '../helpers/demo-process.ts';

const ACCESS_TOKEN_TTL = 4;
let stack: DemoStack;
let browser: Browser;
/** Everything secret the BFF stored for sessions: tokens and the `d` of their DPoP keys. */
const secrets = { accessToken: new Set<string>(), refreshToken: new Set<string>(), idToken: new Set<string>(), dpopKey: new Set<string>() };
const dpopThumbprints = new Set<string>();

beforeAll(async () => {
  await ensureSpaBuilt();
  // 4 s access tokens: the BFF refreshes once half the lifetime is gone (its skew is capped at half).
  [browser, stack] = await Promise.all([launchChromium(), startDemoStack({ securityProfile: 'fapi2', spaDir: SPA_DIST, logger: silentLogger, accessTokenTtl: ACCESS_TOKEN_TTL })]);
  const repository = internalsOf(stack.bff).repository;
  const set = repository.set.bind(repository);
  repository.set = async (id: string, record: SessionRecord, ttlMs: number) => {
    const tokens = (record['auth'] as UserSession | undefined)?.tokens;
    if (tokens) await collect(tokens);
    return set(id, record, ttlMs);
  };
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function collect(tokens: TokenSet): Promise<void> {
  for (const kind of ['accessToken', 'refreshToken', 'idToken'] as const) if (tokens[kind]) secrets[kind].add(tokens[kind]);
  // The session's DPoP private key (a JWK) lives with the tokens, encrypted at rest.
  const key = (tokens as { dpopKey?: JWK }).dpopKey;
  if (key?.d) {
    secrets.dpopKey.add(key.d);
    dpopThumbprints.add(await calculateJwkThumbprint({ kty: key.kty!, crv: key.crv!, x: key.x!, y: key.y! }));
  }
}

/** What the browser saw, each piece with where it was seen. */
class Recorder {
  readonly records: { where: string; text: string }[] = [];
  readonly pending = new Set<Promise<unknown>>();

  add(where: string, value: unknown): void {
    this.records.push({ where, text: typeof value === 'string' ? value : JSON.stringify(value) });
  }

  #track(work: Promise<unknown>): void {
    const p = work.catch(() => undefined).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Every request and response (headers, bodies), and every redirect hop through DevTools. */
  async attach(context: BrowserContext, page: Page): Promise<void> {
    context.on('request', (req) => {
      this.add('request url', req.url());
      if (req.postData()) this.add(`request body ${req.url()}`, req.postData());
      this.#track(req.allHeaders().then((h) => this.add(`request headers ${req.url()}`, h)));
    });
    context.on('response', (res) => {
      this.#track(res.allHeaders().then((h) => this.add(`response headers ${res.status()} ${res.url()}`, h)));
      this.#track(res.body().then((b) => this.add(`response body ${res.status()} ${res.url()}`, b.toString('utf8'))));
    });
    const cdp = await context.newCDPSession(page);
    cdp.on('Network.requestWillBeSent', (e) => {
      this.add(`cdp request ${e.request.url}`, { url: e.request.url, headers: e.request.headers, postData: e.request.postData });
      if (e.redirectResponse) this.add(`cdp redirect ${e.redirectResponse.status} ${e.redirectResponse.url}`, e.redirectResponse.headers);
    });
    cdp.on('Network.responseReceivedExtraInfo', (e) => this.add('cdp raw response headers', e.headersText ?? e.headers));
    await cdp.send('Network.enable');
  }

  /** Cookies (HttpOnly included), Web Storage and the DOM. */
  async snapshot(page: Page, label: string): Promise<void> {
    const state = await page.evaluate(() => ({
      href: location.href,
      cookie: document.cookie,
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage }),
      html: document.documentElement.outerHTML,
    }));
    this.add(`snapshot ${label}`, state);
    for (const c of await page.context().cookies()) this.add(`snapshot ${label} cookie ${c.name} (${c.domain})`, c.value);
  }

  async settle(ms = 1500): Promise<void> {
    await Promise.race([Promise.all([...this.pending]), new Promise((r) => setTimeout(r, ms))]);
  }

  find(needle: string) {
    return this.records.filter((r) => r.text.includes(needle));
  }
}

/** The whole secret, and for JWTs each part but the shared header. */
const needles = (secret: string) => [secret, ...(secret.split('.').length === 3 ? secret.split('.').slice(1) : [])].filter((n) => n.length >= 20);

const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/;
/** A private JWK member as it would appear in JSON (or in JSON inside a JSON string). */
const PRIVATE_JWK_MEMBER = /\\*"(d|p|q|dp|dq|qi)\\*"\s*:\s*\\*"[A-Za-z0-9_-]{20,}/;

describe('the demo in FAPI 2.0 mode, in Chromium', () => {
  it('signs in with PAR, shows and adds todos through DPoP, refreshes, logs out; the browser sees no token and no key', async () => {
    const tab = await openTab(browser);
    const { context, page } = tab;
    const recorder = new Recorder();
    await recorder.attach(context, page);
    const authorizationRequests: URL[] = [];
    const authorizationEndpoint = `${stack.provider.issuer}/auth`;
    context.on('request', (req) => {
      const url = new URL(req.url());
      if (`${url.origin}${url.pathname}` === authorizationEndpoint) authorizationRequests.push(url);
    });
    stack.provider.resetCounts();
    stack.api.requests.length = 0;
    try {
      expect(await logInFromHome(page, stack, 'alice')).toBe('Alice Anderson');
      await recorder.snapshot(page, 'home, signed in');

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Todos' }).click();
      expect(await todoTitles(page)).toContain('Buy oat milk');
      const title = `FAPI ${Date.now()}`;
      await page.getByTestId('new-todo-input').fill(title);
      await page.getByTestId('add-todo-button').click();
      await page.getByTestId('todo-item').filter({ hasText: title }).waitFor();
      // Past half the access token's lifetime: the next API call refreshes first (a refresh grant with private_key_jwt and DPoP).
      await page.waitForTimeout((ACCESS_TOKEN_TTL / 2 + 0.5) * 1000);
      await page.reload();
      expect(await todoTitles(page)).toContain(title);
      await recorder.snapshot(page, 'todos');

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' }).click();
      await page.getByTestId('logout-button').click();
      await confirmProviderLogout(page, stack);
      await recorder.snapshot(page, 'home, signed out');
      await recorder.settle();

      // PAR: the one authorization request the browser made names only the client and the pushed request.
      expect(authorizationRequests).toHaveLength(1);
      expect([...authorizationRequests[0]!.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
      expect(authorizationRequests[0]!.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
      expect(recorder.find('code_challenge').length, 'PKCE parameters reach the browser').toBe(0);

      // A refresh happened, and each access token is bound to the session's DPoP key.
      expect(stack.provider.grantCounts()['refresh_token'] ?? 0).toBeGreaterThanOrEqual(1);
      expect(secrets.accessToken.size).toBeGreaterThanOrEqual(2);
      expect(secrets.dpopKey.size).toBe(1);
      for (const token of secrets.accessToken) expect(dpopThumbprints.has(String((decodeJwt(token).cnf as { jkt?: string } | undefined)?.jkt))).toBe(true);
      // The API got DPoP only: the token and a proof for each call.
      const todoCalls = stack.api.requests.filter((r) => r.path.startsWith('/todos'));
      expect(todoCalls.length).toBeGreaterThanOrEqual(3);
      for (const r of todoCalls) {
        expect(r.authorization).toMatch(/^DPoP /);
        expect(r.headers['dpop']).toEqual(expect.any(String));
      }

      // The recorder saw the session (a recorder that misses traffic would pass anything).
      expect(recorder.find('/bff/callback?code=').length).toBeGreaterThan(0);
      expect(recorder.find(title).some((r) => r.where.startsWith('request body'))).toBe(true);

      // The invariant: no token, no DPoP private key, no client private key.
      const clientKey = stack.client.privateJwk!;
      const all = { ...secrets, clientKey: new Set([clientKey.d!]) };
      const leaks = Object.entries(all).flatMap(([kind, set]) => [...set].flatMap((s) => needles(s).flatMap((n) => recorder.find(n).map((r) => `${kind} in ${r.where}`))));
      expect(leaks).toEqual([]);
      expect(
        recorder.records.filter((r) => JWT.test(r.text)).map((r) => r.where),
        'JWT-shaped strings',
      ).toEqual([]);
      expect(
        recorder.records.filter((r) => PRIVATE_JWK_MEMBER.test(r.text)).map((r) => r.where),
        'private JWK members',
      ).toEqual([]);
      expect(consoleProblems(tab.console, stack.baseUrl)).toEqual([]);

      // Control: the same search finds a secret that does reach the browser.
      await page.evaluate((d) => sessionStorage.setItem('control', JSON.stringify({ d })), clientKey.d!);
      await recorder.snapshot(page, 'control');
      expect(recorder.find(clientKey.d!).map((r) => r.where)).toEqual(['snapshot control']);
      expect(recorder.records.some((r) => r.where === 'snapshot control' && PRIVATE_JWK_MEMBER.test(r.text))).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('the API refuses a stolen access token replayed as Bearer, without a proof, or with a proof from another key', async () => {
    const token = [...secrets.accessToken].at(-1)!;
    const url = `${stack.api.url}/todos`;
    const call = (headers: Record<string, string>) => fetch(url, { headers }).then((r) => r.status);
    expect(await call({ authorization: `Bearer ${token}` })).toBe(401);
    expect(await call({ authorization: `DPoP ${token}` })).toBe(401);
    const thief = await generateDpopKey();
    expect(await call({ authorization: `DPoP ${token}`, dpop: await dpopProof(thief, 'GET', url, { accessToken: token }) })).toBe(401);
  });
});

describe('npm run demo with DEMO_SECURITY_PROFILE=fapi2', () => {
  it('hands the BFF its key in a 0600 file of a fresh directory, signs in through it, and removes the file on Ctrl-C', async () => {
    const [bff, provider, api] = [await freePort(), await freePort(), await freePort()];
    const tmp = mkdtempSync(join(tmpdir(), 'fapi2-demo-test-'));
    const ports = { DEMO_BFF_PORT: String(bff), DEMO_PROVIDER_PORT: String(provider), DEMO_API_PORT: String(api) };
    let demo: DemoProcess | undefined;
    try {
      demo = await startDemoProcess({ TMPDIR: tmp, DEMO_SECURITY_PROFILE: 'fapi2', ...ports });
      const { child, exited } = demo;
      expect(demo.output()).toContain('FAPI 2.0');
      const dirs = readdirSync(tmp).filter((name) => name.startsWith('portcullis-demo-'));
      expect(dirs).toHaveLength(1);
      expect(statSync(join(tmp, dirs[0]!)).mode & 0o777).toBe(0o700);
      expect(readdirSync(join(tmp, dirs[0]!))).toEqual(['client-key.json']);
      expect(statSync(join(tmp, dirs[0]!, 'client-key.json')).mode & 0o777).toBe(0o600);

      const tab = new BffClient(`http://localhost:${bff}`);
      await tab.login('alice');
      expect((await tab.user()).status).toBe(200);
      expect((await tab.fetch('/api/todos')).status).toBe(200);
      // The provider accepts no client secret in this mode: the BFF used the key file.
      const metadata = (await (await fetch(`http://localhost:${provider}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(metadata['token_endpoint_auth_methods_supported']).toEqual(['private_key_jwt']);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(readdirSync(tmp).filter((name) => name.startsWith('portcullis-demo-'))).toEqual([]); // (tsx keeps its cache there)
    } finally {
      if (demo?.child.exitCode === null) demo.child.kill('SIGKILL');
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

/**
 * The BFF's central promise, checked in a real browser: no access, refresh or
 * ID token ever reaches it. A whole session (login through the provider's
 * form, todos, profile, reload, logout) is recorded (every request and
 * response with headers and bodies, redirects included, through Playwright
 * and the DevTools protocol, plus cookies, Web Storage, IndexedDB, Cache
 * Storage and the DOM) and searched for every token the BFF ever stored for
 * that session. The BFF is made to refresh on every API call here, so several
 * generations of real tokens are searched for, not just the first.
 */
import { silentLogger, type SessionRecord, type TokenSet, type UserSession } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  confirmProviderLogout,
  consoleProblems,
  ensureSpaBuilt,
  launchChromium,
  logInFromHome,
  openTab,
  SESSION_COOKIE,
  sessionCookie,
  sessionTokens,
  SPA_DIST,
  todoTitles,
  waitForStatus,
} from '../helpers/browser.ts';
import { internalsOf } from '../../packages/bff/src/internals.ts';

let stack: DemoStack;
let browser: Browser;
/** Every token the BFF stored, by kind, in the order it first saw them. */
const stored = { accessToken: new Set<string>(), refreshToken: new Set<string>(), idToken: new Set<string>() };

beforeAll(async () => {
  await ensureSpaBuilt();
  [browser, stack] = await Promise.all([launchChromium(), startDemoStack({ spaDir: SPA_DIST, logger: silentLogger })]);
  // Every access token counts as due: each API call goes through a real refresh grant.
  internalsOf(stack.bff).tokens.expiring = () => true;
  // Sees every token set the BFF writes (refreshes included) before it is encrypted.
  const repository = internalsOf(stack.bff).repository;
  const set = repository.set.bind(repository);
  repository.set = async (id: string, record: SessionRecord, ttlMs: number) => {
    const tokens = (record['auth'] as UserSession | undefined)?.tokens;
    if (tokens) collect(tokens);
    return set(id, record, ttlMs);
  };
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

function collect(tokens: TokenSet): void {
  for (const kind of ['accessToken', 'refreshToken', 'idToken'] as const) {
    const value = tokens[kind];
    if (value) stored[kind].add(value);
  }
}

/** One recorded piece of browser-visible data and where it was seen. */
interface Recorded {
  where: string;
  text: string;
}

/** Records what the browser sees: network traffic, storage, DOM. */
class BrowserRecorder {
  readonly records: Recorded[] = [];
  readonly #pending = new Map<Promise<unknown>, string>();

  add(where: string, value: unknown): void {
    this.records.push({ where, text: typeof value === 'string' ? value : JSON.stringify(value) });
  }

  #track(what: string, work: Promise<unknown>): void {
    const p = work.catch(() => undefined).finally(() => this.#pending.delete(p));
    this.#pending.set(p, what);
  }

  /** Playwright's view: every request and response of the context, with headers and bodies. */
  attach(context: BrowserContext): void {
    context.on('request', (req) => {
      const url = req.url();
      this.add(`request url`, url);
      const body = req.postData();
      if (body) this.add(`request body ${req.method()} ${url}`, body);
      this.#track(
        `request headers ${url}`,
        req.allHeaders().then((h) => this.add(`request headers ${req.method()} ${url}`, h)),
      );
    });
    context.on('response', (res) => {
      const url = res.url();
      this.#track(
        `response headers ${url}`,
        res.allHeaders().then((h) => this.add(`response headers ${res.status()} ${url}`, h)),
      );
      // Redirect responses have no body; the rejection is ignored.
      this.#track(
        `response body ${res.status()} ${url}`,
        res.body().then((b) => this.add(`response body ${res.status()} ${url}`, b.toString('utf8'))),
      );
    });
  }

  /** The DevTools protocol's view of the page: raw headers (cookies, Set-Cookie) and every redirect hop. */
  async attachDevTools(context: BrowserContext, page: Page): Promise<void> {
    const cdp = await context.newCDPSession(page);
    cdp.on('Network.requestWillBeSent', (e) => {
      this.add(`cdp request ${e.request.method} ${e.request.url}`, { url: e.request.url, headers: e.request.headers, postData: e.request.postData });
      if (e.redirectResponse) this.add(`cdp redirect ${e.redirectResponse.status} ${e.redirectResponse.url}`, e.redirectResponse.headers);
    });
    cdp.on('Network.requestWillBeSentExtraInfo', (e) => this.add('cdp raw request headers', { headers: e.headers, cookies: e.associatedCookies }));
    cdp.on('Network.responseReceived', (e) => this.add(`cdp response ${e.response.status} ${e.response.url}`, e.response.headers));
    cdp.on('Network.responseReceivedExtraInfo', (e) => this.add('cdp raw response headers', { headers: e.headers, text: e.headersText }));
    await cdp.send('Network.enable');
  }

  /**
   * What scripts on the page can read (cookies, Web Storage, IndexedDB names and contents,
   * Cache Storage, the DOM, resource URLs) and the whole cookie jar, HttpOnly cookies included.
   */
  async snapshot(page: Page, label: string): Promise<{ cookie: string; indexedDb: string[] }> {
    const state = await page.evaluate(async () => {
      const indexedDbContents: Record<string, unknown> = {};
      const databases = (await indexedDB.databases?.()) ?? [];
      for (const { name } of databases) {
        if (!name) continue;
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const req = indexedDB.open(name);
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        });
        for (const store of Array.from(db.objectStoreNames)) {
          indexedDbContents[`${name}/${store}`] = await new Promise((resolve) => {
            const req = db.transaction(store).objectStore(store).getAll();
            req.onsuccess = () => resolve(req.result);
            req.onerror = () => resolve(String(req.error));
          });
        }
        db.close();
      }
      const read = (s: Storage) => Object.fromEntries(Object.keys(s).map((k) => [k, s.getItem(k)]));
      return {
        href: location.href,
        referrer: document.referrer,
        windowName: window.name,
        cookie: document.cookie,
        localStorage: read(localStorage),
        sessionStorage: read(sessionStorage),
        indexedDb: databases.map((d) => d.name ?? ''),
        indexedDbContents,
        caches: 'caches' in self ? await caches.keys() : [],
        serviceWorkers: (await navigator.serviceWorker?.getRegistrations())?.length ?? 0,
        resources: performance.getEntries().map((e) => e.name),
        html: document.documentElement.outerHTML,
      };
    });
    this.add(`snapshot ${label}`, state);
    for (const c of await page.context().cookies()) this.add(`snapshot ${label} cookie jar ${c.name} (${c.domain}, ${c.path})`, c.value);
    if (process.env['E2E_DEBUG']) process.stderr.write(`[snapshot] ${label} ${Date.now()}\n`);
    return state;
  }

  /**
   * Waits for the headers and bodies still being read, at most `ms`; returns what is still
   * unread then. (Chromium never finishes a response whose body the page does not read, like
   * the 401 of `/bff/user`, which the SPA only looks at the status of.)
   */
  async settle(ms = 1500): Promise<string[]> {
    const deadline = Date.now() + ms;
    while (this.#pending.size && Date.now() < deadline) {
      await Promise.race([Promise.all([...this.#pending.keys()]), new Promise((r) => setTimeout(r, deadline - Date.now()))]);
    }
    return [...this.#pending.values()];
  }

  /** The records that contain `needle`. */
  find(needle: string): Recorded[] {
    return this.records.filter((r) => r.text.includes(needle));
  }
}

/** Strings that would give a token away: the whole token, each JWT part but the (shared) header, and a 32-character slice. */
function needles(token: string): string[] {
  const parts = token.split('.');
  const out = new Set([token]);
  if (parts.length === 3) parts.slice(1).forEach((p) => out.add(p));
  const mid = Math.floor(token.length / 2);
  out.add(token.slice(mid - 16, mid + 16));
  return [...out].filter((n) => n.length >= 20);
}

/** Where any stored token (or a telling part of one) appears in the recorded browser data. */
function leaks(recorder: BrowserRecorder): string[] {
  const found: string[] = [];
  for (const [kind, set] of Object.entries(stored)) {
    for (const token of set) {
      for (const needle of needles(token)) {
        for (const r of recorder.find(needle)) found.push(`${kind} (${needle.length} chars) in ${r.where}`);
      }
    }
  }
  return found;
}

/** Anything JWT-shaped (header.payload.signature, base64url JSON). */
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/;

describe('no token in the browser', () => {
  it('a whole session never exposes an access, refresh or ID token to the browser', async () => {
    const tab = await openTab(browser);
    const { context, page } = tab;
    const recorder = new BrowserRecorder();
    recorder.attach(context);
    await recorder.attachDevTools(context, page);
    const snapshots: { cookie: string; indexedDb: string[] }[] = [];
    try {
      await page.goto(`${stack.baseUrl}/`);
      await waitForStatus(page, 'anonymous');
      snapshots.push(await recorder.snapshot(page, 'home, anonymous'));

      await logInFromHome(page, stack, 'alice');
      snapshots.push(await recorder.snapshot(page, 'home, signed in'));
      collect(await sessionTokens(context, stack));
      const cookie = (await sessionCookie(context, stack))!;
      expect(cookie.httpOnly).toBe(true);

      // Todos: list, add, toggle, delete (each call goes through a token refresh).
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Todos' }).click();
      await todoTitles(page);
      const title = `Invariant ${Date.now()}`;
      await page.getByTestId('new-todo-input').fill(title);
      await page.getByTestId('add-todo-button').click();
      const item = page.getByTestId('todo-item').filter({ hasText: title });
      await item.getByTestId('todo-toggle').check();
      await page.locator('[data-testid="todo-item"][data-done="true"]', { hasText: title }).waitFor();
      snapshots.push(await recorder.snapshot(page, 'todos'));

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Profile' }).click();
      await page.getByTestId('profile').waitFor();
      snapshots.push(await recorder.snapshot(page, 'profile'));

      await page.goto(`${stack.baseUrl}/todos`);
      await waitForStatus(page, 'authenticated');
      await item.getByTestId('todo-delete').click();
      await item.waitFor({ state: 'detached' });
      await page.reload();
      await todoTitles(page);
      snapshots.push(await recorder.snapshot(page, 'todos after reload'));
      collect(await sessionTokens(context, stack));

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' }).click();
      await page.getByTestId('logout-button').click();
      await confirmProviderLogout(page, stack);
      snapshots.push(await recorder.snapshot(page, 'home, signed out'));

      const unread = await recorder.settle();
      expect(
        unread.filter((what) => what !== `response body 401 ${stack.baseUrl}/bff/user`),
        'unrecorded responses',
      ).toEqual([]);

      // The tokens exist, and the BFF refreshed them (several generations are searched for).
      expect(stored.accessToken.size, 'access tokens stored').toBeGreaterThanOrEqual(3);
      expect(stored.refreshToken.size, 'refresh tokens stored').toBeGreaterThanOrEqual(2);
      expect(stored.idToken.size, 'ID tokens stored').toBeGreaterThanOrEqual(1);
      for (const set of Object.values(stored)) for (const token of set) expect(token.length).toBeGreaterThanOrEqual(20);

      // The recorder saw what it had to see (a recorder that misses traffic would pass anything).
      expect(recorder.find(`${SESSION_COOKIE}=${cookie.value}`).length, 'session cookie in request headers').toBeGreaterThan(0);
      expect(recorder.find('Alice Anderson').some((r) => r.where.startsWith('response body 200') && r.where.endsWith('/bff/user'))).toBe(true);
      expect(recorder.find(title).some((r) => r.where.startsWith('request body POST'))).toBe(true);
      expect(recorder.find('/bff/callback?code=').length, 'the callback redirect').toBeGreaterThan(0);
      expect(
        recorder.find('code_challenge=').some((r) => r.where.startsWith('cdp redirect 302')),
        'redirect Location headers',
      ).toBe(true);

      // The invariant.
      expect(leaks(recorder)).toEqual([]);
      const jwtShaped = recorder.records.filter((r) => JWT.test(r.text)).map((r) => `${r.where}: ${JWT.exec(r.text)![0].slice(0, 40)}…`);
      expect(jwtShaped, 'JWT-shaped strings in the browser').toEqual([]);

      // The session cookie is HttpOnly: scripts never see it. No IndexedDB either.
      for (const s of snapshots) {
        expect(s.cookie).not.toContain(`${SESSION_COOKIE}=`);
        expect(s.indexedDb).toEqual([]);
      }
      expect(consoleProblems(tab.console, stack.baseUrl)).toEqual([]);
      if (process.env['E2E_DEBUG']) {
        const sizes: Record<string, number> = {};
        for (const r of recorder.records) sizes[r.where.split(' ')[0]!] = (sizes[r.where.split(' ')[0]!] ?? 0) + r.text.length;
        process.stderr.write(`[recorded] ${recorder.records.length} records, characters by kind: ${JSON.stringify(sizes)}\n`);
      }

      // Control: the same search finds a token that does reach the browser, wherever it is.
      const [access] = stored.accessToken;
      const [refresh] = stored.refreshToken;
      const signature = access!.split('.')[2]!;
      await page.evaluate((value) => sessionStorage.setItem('control', value), signature);
      await page.evaluate((value) => fetch(`/bff/user?control=${value}`).then((r) => r.text()), refresh!);
      await recorder.snapshot(page, 'control');
      await recorder.settle(500);
      const found = leaks(recorder);
      expect(found.some((l) => l.startsWith('accessToken') && l.includes('snapshot control'))).toBe(true);
      expect(found.some((l) => l.startsWith('refreshToken') && l.includes('request url'))).toBe(true);
      expect(found.some((l) => l.startsWith('refreshToken') && l.includes('cdp request'))).toBe(true);
    } finally {
      await context.close();
    }
  });
});

/**
 * Real headless Chromium for the end-to-end tests: Debian's /usr/bin/chromium
 * driven by playwright-core (never a downloaded browser), the demo SPA build,
 * a console watcher (CSP violations, errors) and the steps every scenario
 * shares (the provider's login form, its logout confirmation).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import type { DemoStack } from '@portcullis/demo/stack';
import type { TokenSet, UserSession } from '@portcullis/bff';
import { internalsOf } from '../../packages/bff/src/internals.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The demo SPA's build output, served by the demo BFF. */
export const SPA_DIST = path.join(REPO_ROOT, 'demo/spa/dist');
/** Where the e2e tests write screenshots. */
export const ARTIFACTS_DIR = path.join(REPO_ROOT, 'test/e2e/artifacts');

/** Session cookie of the demo BFF (plain-http localhost: no `__Host-` prefix). */
export const SESSION_COOKIE = 'portcullis';

/**
 * Launches Debian's Chromium headless. Throws (never skips) when it is not
 * installed: the README's test command installs it with apt-get.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}. Run the tests with the README's test command (\`npm test\`), ` +
        'which installs it with apt-get, or install it yourself: apt-get update && apt-get install -y chromium',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
}

/** Newest modification time of the files under `dir` (0 when absent). */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  const stat = statSync(dir);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    max = Math.max(max, newest(path.join(dir, entry)));
  }
  return max;
}

/**
 * Builds the demo SPA (`pnpm --filter @portcullis/demo build:spa`) when
 * demo/spa/dist is missing or older than its sources (the SPA's own and
 * @portcullis/react's).
 */
export async function ensureSpaBuilt(): Promise<void> {
  const built = existsSync(path.join(SPA_DIST, 'index.html')) ? statSync(path.join(SPA_DIST, 'index.html')).mtimeMs : 0;
  const sources = Math.max(newest(path.join(REPO_ROOT, 'demo/spa')), newest(path.join(REPO_ROOT, 'packages/react/src')));
  if (built && built >= sources) return;
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('pnpm', ['--filter', '@portcullis/demo', 'build:spa'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => output.push(c.toString()));
    child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0 || !existsSync(path.join(SPA_DIST, 'index.html'))) {
    throw new Error(`building the demo SPA failed (exit ${code}):\n${output.join('')}`);
  }
}

/** One console message, an uncaught page error or a CSP violation, with the page URL it happened on. */
export interface ConsoleEntry {
  kind: 'console' | 'pageerror' | 'csp';
  type: string;
  text: string;
  /** URL of the page (top frame) when it was reported. */
  pageUrl: string;
  /** URL of the script or resource the message is about, when known. */
  location?: string;
}

/**
 * Logs CSP violations to the console from inside every page: Chromium also
 * reports them itself, this makes sure one never goes unnoticed. Init
 * scripts come through DevTools and are not subject to the page's CSP.
 */
const CSP_LISTENER = `document.addEventListener('securitypolicyviolation', (e) => {
  console.error('[csp-violation] ' + e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber);
});`;

/** Collects console errors/warnings, page errors and CSP violations of every page of `context`. */
export async function watchConsole(context: BrowserContext): Promise<ConsoleEntry[]> {
  const entries: ConsoleEntry[] = [];
  await context.addInitScript({ content: CSP_LISTENER });
  const watch = (page: Page) => {
    page.on('console', (msg: ConsoleMessage) => {
      if (msg.type() !== 'error' && msg.type() !== 'warning') return;
      const text = msg.text();
      const csp = /content security policy|\[csp-violation\]/i.test(text);
      entries.push({ kind: csp ? 'csp' : 'console', type: msg.type(), text, pageUrl: page.url(), location: msg.location().url });
    });
    page.on('pageerror', (err) => entries.push({ kind: 'pageerror', type: 'error', text: err.stack ?? err.message, pageUrl: page.url() }));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return entries;
}

/**
 * What must fail a test: any CSP violation anywhere, and any console error or
 * page error on the SPA's origin. One error is expected and allowed: Chromium
 * logs "Failed to load resource … 401" when `GET /bff/user` says "nobody is
 * signed in", which is how the BFF contract answers an anonymous visitor.
 */
export function consoleProblems(entries: readonly ConsoleEntry[], spaOrigin: string): ConsoleEntry[] {
  return entries.filter((e) => {
    if (e.kind === 'csp') return true;
    const onSpa = e.pageUrl.startsWith(spaOrigin);
    if (!onSpa) return false;
    if (e.type === 'warning') return false;
    const expected401 = /status of 401/.test(e.text) && e.location === `${spaOrigin}/bff/user`;
    return !expected401;
  });
}

/** A fresh browser profile (its own cookies) with a console watcher and one page. */
export interface Tab {
  context: BrowserContext;
  page: Page;
  console: ConsoleEntry[];
}

/** Opens a new context + page; short action timeouts so a stuck step names itself before the test timeout. */
export async function openTab(browser: Browser): Promise<Tab> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 760 } });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  const console = await watchConsole(context);
  const page = await context.newPage();
  return { context, page, console };
}

/** Fills and submits the demo provider's login form (the page must be on it). */
export async function submitLoginForm(page: Page, issuer: string, user: string, password = user): Promise<void> {
  await page.waitForURL((url) => url.href.startsWith(`${issuer}/interaction/`));
  await page.locator('input[name="login"]').fill(user);
  await page.locator('input[name="password"]').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Waits until the SPA's session badge shows `status`. */
export async function waitForStatus(page: Page, status: 'authenticated' | 'anonymous' | 'loading' | 'error'): Promise<void> {
  await page.locator(`[data-testid="status"][data-status="${status}"]`).waitFor();
}

/** From the SPA's home page: Log in, the provider's form, back home signed in. Returns the displayed name. */
export async function logInFromHome(page: Page, stack: DemoStack, user: string, password = user): Promise<string> {
  await page.goto(`${stack.baseUrl}/`);
  await page.getByTestId('login-button').click();
  await submitLoginForm(page, stack.provider.issuer, user, password);
  await page.waitForURL(`${stack.baseUrl}/`);
  await waitForStatus(page, 'authenticated');
  return (await page.getByTestId('user-name').textContent()) ?? '';
}

/** From a signed-in home page: Log out, confirm on the provider's page, back home signed out. */
export async function logOutFromHome(page: Page, stack: DemoStack): Promise<void> {
  await page.getByTestId('logout-button').click();
  await confirmProviderLogout(page, stack);
}

/** Confirms RP-initiated logout on the provider's page and waits for the SPA, signed out. */
export async function confirmProviderLogout(page: Page, stack: DemoStack): Promise<void> {
  await page.waitForURL((url) => url.href.startsWith(stack.provider.issuer));
  await page.locator('button[name="logout"][value="yes"]').click();
  // The provider sends back the end-session request's `state`, which the app ignores.
  await page.waitForURL((url) => `${url.origin}${url.pathname}` === `${stack.baseUrl}/` && [...url.searchParams.keys()].every((k) => k === 'state'));
  await waitForStatus(page, 'anonymous');
}

/** The BFF session cookie of `context`, if any. */
export async function sessionCookie(context: BrowserContext, stack: DemoStack) {
  return (await context.cookies(stack.baseUrl)).find((c) => c.name === SESSION_COOKIE);
}

/** The decrypted tokens the BFF holds for the session of `context` (read from its store). */
export async function sessionTokens(context: BrowserContext, stack: DemoStack): Promise<TokenSet> {
  const cookie = await sessionCookie(context, stack);
  if (!cookie) throw new Error('the browser has no BFF session cookie');
  const id = cookie.value.slice(0, cookie.value.indexOf('.'));
  const record = await internalsOf(stack.bff).repository.get(id);
  const auth = record?.['auth'] as UserSession | undefined;
  if (!auth) throw new Error('the BFF store has no signed-in session for the browser cookie');
  return auth.tokens;
}

/** A todo as the demo API returns it. */
export interface ApiTodo {
  id: string;
  title: string;
  done: boolean;
  createdAt: string;
}

/** The todos the API holds for the owner of `accessToken` (called directly, not through the BFF). */
export async function apiTodos(stack: DemoStack, accessToken: string): Promise<ApiTodo[]> {
  const res = await fetch(`${stack.api.url}/todos`, { headers: { authorization: `Bearer ${accessToken}` } });
  if (!res.ok) throw new Error(`GET ${stack.api.url}/todos answered ${res.status}`);
  return ((await res.json()) as { todos: ApiTodo[] }).todos;
}

/** The titles of the todo items on the page. */
export async function todoTitles(page: Page): Promise<string[]> {
  await page.getByTestId('todo-list').waitFor();
  return page.getByTestId('todo-title').allTextContents();
}

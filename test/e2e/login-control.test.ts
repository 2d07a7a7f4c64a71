/**
 * Login control through the demo SPA in real Chromium (issue 17, React side): the silent-login
 * answer (`?error=login_required`) shown once and taken off the address bar, a silent login
 * with and without a provider session, and the Sessions page (list, end one, end all others)
 * over `GET/DELETE /bff/sessions`. Step-up ("Clear all" → one-time code → retry) is not here
 * yet: it needs the demo API's `DELETE /api/todos` with its acr requirement and the provider's
 * second step.
 */
import { silentLogger } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  consoleProblems,
  ensureSpaBuilt,
  launchChromium,
  logInFromHome,
  openTab,
  SESSION_COOKIE,
  sessionCookie,
  SPA_DIST,
  type Tab,
  waitForStatus,
} from '../helpers/browser.ts';

let stack: DemoStack;
let browser: Browser;
let tabs: Tab[] = [];

beforeAll(async () => {
  await ensureSpaBuilt();
  [browser, stack] = await Promise.all([launchChromium(), startDemoStack({ spaDir: SPA_DIST, logger: silentLogger })]);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A new browser profile (its own cookies); its console is checked after the test. */
async function tab(): Promise<Tab> {
  const t = await openTab(browser);
  tabs.push(t);
  return t;
}

afterEach(async () => {
  const opened = tabs;
  tabs = [];
  const problems = opened.flatMap((t) => consoleProblems(t.console, stack.baseUrl));
  await Promise.all(opened.map((t) => t.context.close()));
  expect(problems, 'CSP violations or console errors on the SPA').toEqual([]);
});

const address = (page: Page) => {
  const url = new URL(page.url());
  return url.pathname + url.search + url.hash;
};

describe('silent login', () => {
  it('a page loaded with ?error=login_required shows it once and takes it off the address bar, other parameters kept', async () => {
    const { page } = await tab();
    await page.goto(`${stack.baseUrl}/?error=login_required&tab=2#top`);
    await waitForStatus(page, 'anonymous');
    const notice = page.getByTestId('login-error');
    await notice.waitFor();
    expect(await notice.getAttribute('data-code')).toBe('login_required');
    expect(address(page)).toBe('/?tab=2#top');
    await page.reload();
    await waitForStatus(page, 'anonymous');
    expect(await page.getByTestId('login-error').count()).toBe(0);
  });

  it('other error values are the app\'s: not shown as a silent-login answer, left in the address bar', async () => {
    const { page } = await tab();
    await page.goto(`${stack.baseUrl}/?error=access_denied`);
    await waitForStatus(page, 'anonymous');
    expect(await page.getByTestId('login-error').count()).toBe(0);
    expect(address(page)).toBe('/?error=access_denied');
  });

  it('without a provider session: back on the page with login_required, no session, no form shown', async () => {
    const { page, context } = await tab();
    await page.goto(`${stack.baseUrl}/`);
    await waitForStatus(page, 'anonymous');
    const visited: string[] = [];
    page.on('framenavigated', (frame) => frame === page.mainFrame() && visited.push(frame.url()));
    await page.getByTestId('silent-login-button').click();
    await page.getByTestId('login-error').waitFor();
    expect(await page.getByTestId('login-error').getAttribute('data-code')).toBe('login_required');
    expect(address(page)).toBe('/');
    expect(visited.some((u) => u.startsWith(`${stack.provider.issuer}/interaction/`))).toBe(false);
    expect(await sessionCookie(context, stack)).toBeUndefined();
  });

  it('with a provider session: signed in again without any form', async () => {
    const { page, context } = await tab();
    await logInFromHome(page, stack, 'alice');
    await context.clearCookies({ name: SESSION_COOKIE }); // the BFF session only; the provider's stays
    await page.reload();
    await waitForStatus(page, 'anonymous');
    const visited: string[] = [];
    page.on('framenavigated', (frame) => frame === page.mainFrame() && visited.push(frame.url()));
    await page.getByTestId('silent-login-button').click();
    await waitForStatus(page, 'authenticated');
    expect(await page.getByTestId('user-name').textContent()).toBe('Alice Anderson');
    expect(address(page)).toBe('/');
    expect(visited.some((u) => u.startsWith(`${stack.provider.issuer}/interaction/`))).toBe(false);
  });
});

describe('Sessions page', () => {
  /** The session items on the Sessions page, once loaded: [current?, user agent]. */
  async function listed(page: Page): Promise<boolean[]> {
    await page.getByTestId('session-list').waitFor();
    return (await page.getByTestId('session-item').evaluateAll((items) => items.map((i) => i.getAttribute('data-current')))).map((c) => c === 'true');
  }

  it("lists alice's browsers; ending one signs that browser out; End all others leaves only this one", async () => {
    const a = await tab();
    await logInFromHome(a.page, stack, 'alice');
    await a.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sessions' }).click();
    expect(address(a.page)).toBe('/sessions');
    await listed(a.page);
    // Start from this browser alone (earlier tests of this file left alice sessions behind).
    if (await a.page.getByTestId('sessions-end-others').isEnabled()) await a.page.getByTestId('sessions-end-others').click();
    await expect.poll(() => listed(a.page)).toEqual([true]);

    const [b, c] = [await tab(), await tab()];
    for (const t of [b, c]) await logInFromHome(t.page, stack, 'alice');
    const bob = await tab();
    await logInFromHome(bob.page, stack, 'bob');
    await a.page.getByTestId('sessions-reload').click();
    await expect.poll(() => listed(a.page)).toHaveLength(3); // bob's session is not alice's
    expect((await listed(a.page)).filter(Boolean)).toHaveLength(1);
    expect(await a.page.locator('[data-testid="session-item"][data-current="true"] [data-testid="session-agent"]').textContent()).toContain('Chrome');

    // End one other session: that browser is signed out at its next request.
    await a.page.getByTestId('session-end').first().click();
    await expect.poll(() => listed(a.page)).toHaveLength(2);
    const ended: Tab[] = [];
    for (const t of [b, c]) {
      await t.page.reload();
      await t.page.locator('[data-testid="status"]:not([data-status="loading"])').waitFor();
      if ((await t.page.getByTestId('status').getAttribute('data-status')) === 'anonymous') ended.push(t);
    }
    expect(ended).toHaveLength(1);
    const survivor = ended[0] === b ? c : b;

    // End all others: the survivor is signed out too, this browser and bob are not.
    await a.page.getByTestId('sessions-end-others').click();
    await expect.poll(() => listed(a.page)).toEqual([true]);
    expect(await a.page.getByTestId('sessions-end-others').isDisabled()).toBe(true);
    await survivor.page.reload();
    await waitForStatus(survivor.page, 'anonymous');
    await a.page.reload();
    await waitForStatus(a.page, 'authenticated');
    await bob.page.reload();
    await waitForStatus(bob.page, 'authenticated');
  });

  it('a signed-out visit to /sessions goes through the login and comes back to the list', async () => {
    const { page } = await tab();
    await page.goto(`${stack.baseUrl}/sessions`);
    await page.waitForURL((url) => url.href.startsWith(`${stack.provider.issuer}/interaction/`));
    await page.locator('input[name="login"]').fill('bob');
    await page.locator('input[name="password"]').fill('bob');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${stack.baseUrl}/sessions`);
    expect((await listed(page)).filter(Boolean)).toEqual([true]); // bob's other sessions may be listed too
  });
});

/**
 * Login control through the demo SPA in real Chromium (issue 17, React side): the silent-login
 * answer (`?error=login_required`) shown once and taken off the address bar, a silent login
 * with and without a provider session, and the Sessions page (list, end one, end all others)
 * over `GET/DELETE /bff/sessions`, and step-up: "Clear all" (`DELETE /api/todos`, which the demo
 * API allows only with acr `urn:portcullis:mfa`) → 401 `step_up_required` → login with
 * `acr_values` → password and one-time code at the provider → back on /todos, retried once and
 * done; plus the SPA's side alone (the 401 played by the browser): one retry, never a second login.
 */
import { silentLogger } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  apiTodos,
  consoleProblems,
  ensureSpaBuilt,
  launchChromium,
  logInFromHome,
  openTab,
  SESSION_COOKIE,
  sessionCookie,
  sessionTokens,
  SPA_DIST,
  submitLoginForm,
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

  it("other error values are the app's: not shown as a silent-login answer, left in the address bar", async () => {
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

describe('step-up from the todos page (the 401 step_up_required played by the browser)', () => {
  /** Answers `DELETE /api/todos` with `answers` in turn (the last repeats); counts the calls. */
  async function fakeClearAll(page: Page, answers: Array<{ status: number; body?: unknown }>) {
    let calls = 0;
    await page.route(`${stack.baseUrl}/api/todos`, async (route: Route) => {
      if (route.request().method() !== 'DELETE') return route.fallback();
      const answer = answers[Math.min(calls++, answers.length - 1)]!;
      await route.fulfill({ status: answer.status, contentType: 'application/json', body: answer.body === undefined ? '' : JSON.stringify(answer.body) });
    });
    return () => calls;
  }

  /** Chromium logs the faked 401s as failed loads: expected here, not a console problem. */
  function allowFaked401(t: Tab) {
    const rest = t.console.filter((e) => !(/status of 401/.test(e.text) && e.location === `${stack.baseUrl}/api/todos`));
    t.console.length = 0;
    t.console.push(...rest);
  }

  const STEP_UP = { error: 'step_up_required', error_description: 'Clearing needs a recent sign-in', max_age: 600 };

  it('Clear all: step_up_required → login with max_age and returnTo=/todos, session kept → retried once back → cleared', async () => {
    const t = await tab();
    const { page } = t;
    await logInFromHome(page, stack, 'alice');
    const calls = await fakeClearAll(page, [{ status: 401, body: STEP_UP }, { status: 204 }]);
    const logins: string[] = [];
    page.on('request', (r) => r.isNavigationRequest() && r.url().startsWith(`${stack.baseUrl}/bff/login`) && logins.push(r.url()));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Todos' }).click();
    await page.getByTestId('todo-list').waitFor();
    await page.getByTestId('todos-clear-all').click();

    // The provider knows alice (and her login is recent enough): back without a form, then the retry.
    await page.getByTestId('todo-notice').waitFor();
    expect(await page.getByTestId('todo-notice').textContent()).toBe('All your todos were cleared.');
    expect(logins).toEqual([`${stack.baseUrl}/bff/login?returnTo=%2Ftodos&max_age=600`]);
    expect(address(page)).toBe('/todos');
    expect(calls()).toBe(2);
    expect(await page.getByTestId('todo-item').count()).toBe(0);
    await waitForStatus(page, 'authenticated');
    expect(await page.evaluate(() => sessionStorage.getItem('demo:pending-action'))).toBeNull();
    allowFaked401(t);
  });

  it('a retry answered step_up_required again shows an error and does not log in a second time', async () => {
    const t = await tab();
    const { page } = t;
    await logInFromHome(page, stack, 'alice');
    const calls = await fakeClearAll(page, [{ status: 401, body: STEP_UP }]);
    const logins: string[] = [];
    page.on('request', (r) => r.isNavigationRequest() && r.url().startsWith(`${stack.baseUrl}/bff/login`) && logins.push(r.url()));
    await page.goto(`${stack.baseUrl}/todos`);
    await page.getByTestId('todo-list').waitFor();
    await page.getByTestId('todos-clear-all').click();
    await page.getByTestId('todo-error').waitFor();
    expect(await page.getByTestId('todo-error').textContent()).toContain('needs the second sign-in step');
    await page.waitForTimeout(300);
    expect(logins).toHaveLength(1);
    expect(calls()).toBe(2);
    expect(await page.getByTestId('todo-item').count()).toBeGreaterThan(0); // nothing cleared
    await waitForStatus(page, 'authenticated'); // a step-up 401 never signs the user out
    await page.reload(); // and the pending action is gone: no retry, no login on a later visit
    await page.getByTestId('todo-list').waitFor();
    await page.waitForTimeout(300);
    expect(calls()).toBe(2);
    expect(logins).toHaveLength(1);
    allowFaked401(t);
  });
});

describe('step-up end to end: Clear all needs the MFA acr', () => {
  it('bob clears his todos: step_up_required, password + one-time code at the provider, back on /todos, retried, cleared', async () => {
    const t = await tab();
    const { page, context } = t;
    await logInFromHome(page, stack, 'bob');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Todos' }).click();
    await page.getByTestId('todo-list').waitFor();
    expect(await page.getByTestId('todo-item').count()).toBeGreaterThan(0);
    const logins: string[] = [];
    page.on('request', (r) => r.isNavigationRequest() && r.url().startsWith(`${stack.baseUrl}/bff/login`) && logins.push(r.url()));

    await page.getByTestId('todos-clear-all').click();
    await submitLoginForm(page, stack.provider.issuer, 'bob');
    const code = page.locator('#demo-code');
    await code.waitFor();
    await page.locator('input[name="code"]').fill((await code.getAttribute('data-code')) ?? '');
    await page.getByRole('button', { name: 'Verify' }).click();

    await page.waitForURL(`${stack.baseUrl}/todos`);
    await page.getByTestId('todo-notice').waitFor();
    expect(await page.getByTestId('todo-notice').textContent()).toBe('All your todos were cleared.');
    expect(await page.getByTestId('todo-item').count()).toBe(0);
    expect(logins).toHaveLength(1);
    expect(new URL(logins[0]!).searchParams.get('returnTo')).toBe('/todos');
    expect(new URL(logins[0]!).searchParams.get('acr_values')).toBe('urn:portcullis:mfa');
    expect(await apiTodos(stack, (await sessionTokens(context, stack)).accessToken)).toEqual([]);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Profile' }).click();
    expect(await page.getByTestId('profile-acr').textContent()).toBe('urn:portcullis:mfa');
    // Chromium logs the step-up 401 of DELETE /api/todos as a failed load: expected here.
    t.console.splice(0, t.console.length, ...t.console.filter((e) => !(/status of 401/.test(e.text) && e.location === `${stack.baseUrl}/api/todos`)));
  });
});

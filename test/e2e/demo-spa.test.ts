/**
 * The demo SPA in real headless Chromium against the real stack (provider,
 * todo API, BFF serving the Vite build under its CSP): login through the
 * provider's form, todos through the BFF proxy, the protected route, logout
 * (BFF + provider), per-user data and cross-tab logout.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { silentLogger } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  apiTodos,
  ARTIFACTS_DIR,
  confirmProviderLogout,
  consoleProblems,
  ensureSpaBuilt,
  launchChromium,
  logInFromHome,
  logOutFromHome,
  openTab,
  sessionCookie,
  sessionTokens,
  SPA_DIST,
  submitLoginForm,
  type Tab,
  todoTitles,
  waitForStatus,
} from '../helpers/browser.ts';
import { internalsOf } from '../../packages/bff/src/internals.ts';

let stack: DemoStack;
let browser: Browser;
let tabs: Tab[] = [];

beforeAll(async () => {
  await ensureSpaBuilt();
  [browser, stack] = await Promise.all([launchChromium(), startDemoStack({ spaDir: SPA_DIST, logger: silentLogger })]);
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A new browser profile for this test; its console is checked after the test. */
async function tab(): Promise<Tab> {
  const t = await openTab(browser);
  tabs.push(t);
  return t;
}

afterEach(async () => {
  const opened = tabs;
  tabs = [];
  const problems = opened.flatMap((t) => consoleProblems(t.console, stack.baseUrl));
  if (process.env['E2E_DEBUG']) for (const t of opened) for (const e of t.console) process.stderr.write(`[console] ${JSON.stringify(e)}\n`);
  await Promise.all(opened.map((t) => t.context.close()));
  expect(problems, 'CSP violations or console errors on the SPA').toEqual([]);
});

describe('demo SPA in Chromium', () => {
  it('alice logs in through the provider form and sees her name and todos', async () => {
    const { page } = await tab();
    await page.goto(`${stack.baseUrl}/`);
    await waitForStatus(page, 'anonymous');
    expect(await page.title()).toBe('Home · Portcullis demo');

    await page.getByTestId('login-button').click();
    await submitLoginForm(page, stack.provider.issuer, 'alice');
    await page.waitForURL(`${stack.baseUrl}/`);
    await waitForStatus(page, 'authenticated');
    expect(await page.getByTestId('user-name').textContent()).toBe('Alice Anderson');
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'signed-in.png') });

    // Client-side navigation: the document is not reloaded.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Todos' }).click();
    const titles = await todoTitles(page);
    expect(titles).toEqual(expect.arrayContaining(['Buy oat milk', 'Book the dentist']));
    expect(page.url()).toBe(`${stack.baseUrl}/todos`);
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'todos.png') });

    // Back button (popstate) goes home without a reload.
    await page.goBack();
    await page.getByTestId('user-name').waitFor();
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
  });

  it('alice adds, completes and deletes a todo; the API holds it for her; a reload keeps her signed in', async () => {
    const { page, context } = await tab();
    await logInFromHome(page, stack, 'alice');
    const { accessToken } = await sessionTokens(context, stack);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Todos' }).click();
    await page.getByTestId('todo-list').waitFor();
    const title = `Try the BFF ${randomBytes(3).toString('hex')}`;
    await page.getByLabel('New todo').fill(title);
    await page.getByTestId('add-todo-button').click();
    const item = page.getByTestId('todo-item').filter({ hasText: title });
    await item.waitFor();
    expect(await page.getByTestId('new-todo-input').inputValue()).toBe('');
    const stored = (await apiTodos(stack, accessToken)).find((t) => t.title === title);
    expect(stored).toMatchObject({ title, done: false });

    await item.getByTestId('todo-toggle').check();
    await page.locator('[data-testid="todo-item"][data-done="true"]', { hasText: title }).waitFor();
    expect((await apiTodos(stack, accessToken)).find((t) => t.id === stored!.id)?.done).toBe(true);

    await page.reload();
    await waitForStatus(page, 'authenticated');
    expect(await todoTitles(page)).toContain(title);
    expect(await page.locator('[data-testid="todo-item"][data-done="true"]', { hasText: title }).count()).toBe(1);

    await page.getByTestId('todo-item').filter({ hasText: title }).getByTestId('todo-delete').click();
    await item.waitFor({ state: 'detached' });
    expect((await apiTodos(stack, accessToken)).some((t) => t.id === stored!.id)).toBe(false);
  });

  it('a signed-out visit to /profile goes to the provider login and comes back to /profile', async () => {
    const { page } = await tab();
    await page.goto(`${stack.baseUrl}/profile`);
    await submitLoginForm(page, stack.provider.issuer, 'alice');
    await page.waitForURL(`${stack.baseUrl}/profile`);
    const profile = page.getByTestId('profile');
    await profile.waitFor();
    expect(await page.getByTestId('profile-name').textContent()).toBe('Alice Anderson');
    expect(await page.getByTestId('profile-email').textContent()).toBe('alice@example.com');
    expect(await page.getByTestId('profile-sub').textContent()).toBe('alice');
    const expires = Date.parse((await page.locator('[data-testid="profile-expires"] time').getAttribute('datetime')) ?? '');
    expect(expires).toBeGreaterThan(Date.now());
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'profile.png') });
  });

  it('logout ends the session at the BFF and the provider; the old session cookie is dead', async () => {
    const { page, context } = await tab();
    await logInFromHome(page, stack, 'alice');
    const cookie = await sessionCookie(context, stack);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    const replay = () => fetch(`${stack.baseUrl}/bff/user`, { headers: { cookie: `${cookie!.name}=${cookie!.value}`, 'x-csrf': '1' } });
    expect((await replay()).status).toBe(200); // the replay works while the session lives

    await logOutFromHome(page, stack);
    await page.getByTestId('login-button').waitFor();
    expect(await sessionCookie(context, stack)).toBeUndefined();

    const after = await replay();
    expect(after.status).toBe(401);
    const id = cookie!.value.slice(0, cookie!.value.indexOf('.'));
    expect(await internalsOf(stack.bff).repository.get(id)).toBeUndefined();

    // The provider's session ended too: logging in again asks for the password.
    await page.getByTestId('login-button').click();
    await page.waitForURL((url) => url.href.startsWith(`${stack.provider.issuer}/interaction/`));
    await page.locator('input[name="password"]').waitFor();
  });

  it('bob sees only his own todos', async () => {
    const { page, context } = await tab();
    expect(await logInFromHome(page, stack, 'bob')).toBe('Bob Brown');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Todos' }).click();
    const titles = await todoTitles(page);
    const bobs = (await apiTodos(stack, (await sessionTokens(context, stack)).accessToken)).map((t) => t.title);
    expect(titles).toEqual(bobs);
    expect(titles).toContain('Water the plants');
    expect(titles).not.toContain('Buy oat milk');
    expect(titles).not.toContain('Book the dentist');
  });

  it('logging out in one tab turns the other tab anonymous without a reload', async () => {
    const { page: first, context } = await tab();
    await logInFromHome(first, stack, 'alice');
    const second = await context.newPage();
    await second.goto(`${stack.baseUrl}/todos`);
    await waitForStatus(second, 'authenticated');
    await second.getByTestId('todo-list').waitFor();
    await second.evaluate(() => ((window as unknown as { marker: number }).marker = 7));

    await first.getByTestId('logout-button').click();
    // The other tab hears it on the BroadcastChannel before the provider's confirmation.
    await waitForStatus(second, 'anonymous');
    await second.getByTestId('todos-login-button').waitFor();
    expect(await second.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(7);

    await confirmProviderLogout(first, stack);
  });

  it('unknown paths show the 404 page, served by the SPA fallback', async () => {
    const { page } = await tab();
    const res = await page.goto(`${stack.baseUrl}/no/such/page`);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByTestId('not-found').waitFor();
    expect(await page.getByTestId('not-found').textContent()).toContain('/no/such/page');
    await page.getByRole('link', { name: 'Back to the home page' }).click();
    await page.getByTestId('login-button').waitFor();
  });

  it('the CSP is enforced and a violation would fail these tests', async () => {
    const { page, console } = await tab();
    await page.goto(`${stack.baseUrl}/`);
    await waitForStatus(page, 'anonymous');
    const ran = await page.evaluate(async () => {
      const w = window as unknown as { inlineRan?: boolean };
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.head.append(script);
      await new Promise((r) => setTimeout(r, 50));
      return w.inlineRan === true;
    });
    expect(ran).toBe(false);
    await expect.poll(() => consoleProblems(console, stack.baseUrl).filter((e) => e.kind === 'csp').length).toBeGreaterThan(0);
    console.length = 0; // expected here: do not fail the afterEach check
  });
});

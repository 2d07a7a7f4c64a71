/**
 * What holds for every route under `/bff` (endpoints/route.ts and bff.ts):
 * `Cache-Control: no-store` on successes, redirects and errors, errors as
 * JSON `{ error, error_description }`, 404 outside the declared routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BffClient } from '../support/client.ts';
import { startStack, type Stack } from '../support/harness.ts';
import { loginUntilCallback } from '../support/login.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.stop());

describe('Cache-Control: no-store on every /bff/* response', () => {
  it('holds for successes, redirects and errors of every endpoint', async () => {
    const client = new BffClient(stack.baseUrl);
    const seen: Array<[string, number, string | null]> = [];
    const check = async (label: string, path: string, init: RequestInit & { csrf?: boolean } = {}) => {
      const response = await client.fetch(path, init);
      seen.push([label, response.status, response.headers.get('cache-control')]);
      await response.body?.cancel();
      return response;
    };
    await check('login 302', '/bff/login', { csrf: false });
    await check('login 400', '/bff/login?returnTo=//evil.com', { csrf: false });
    await check('callback 400 (no state)', '/bff/callback', { csrf: false });
    await check('callback 400 (unknown state)', '/bff/callback?code=x&state=nope', { csrf: false });
    await check('user 401', '/bff/user');
    await check('user 403', '/bff/user', { csrf: false });
    await check('logout 302 (anonymous)', '/bff/logout', { csrf: false });
    await check('logout 400 (bad returnTo)', '/bff/logout?returnTo=//evil.com', { csrf: false });
    await check('unknown endpoint 404', '/bff/nope');
    await check('prefix itself 404', '/bff');
    await check('prefix with slash 404', '/bff/');
    await check('405', '/bff/user', { method: 'DELETE' });
    await check('HEAD login', '/bff/login', { method: 'HEAD', csrf: false });

    const callback = await loginUntilCallback(client);
    await check('callback 302', callback, { csrf: false });
    const user = await client.fetch('/bff/user');
    seen.push(['user 200', user.status, user.headers.get('cache-control')]);
    const { logoutUrl } = (await user.json()) as { logoutUrl: string };
    await check('logout 400 (wrong sid)', '/bff/logout?sid=wrong', { csrf: false });
    await check('logout 302', logoutUrl, { csrf: false });

    expect(seen.map(([label, status]) => `${label}: ${status}`)).toEqual([
      'login 302: 302',
      'login 400: 400',
      'callback 400 (no state): 400',
      'callback 400 (unknown state): 400',
      'user 401: 401',
      'user 403: 403',
      'logout 302 (anonymous): 302',
      'logout 400 (bad returnTo): 400',
      'unknown endpoint 404: 404',
      'prefix itself 404: 404',
      'prefix with slash 404: 404',
      '405: 405',
      'HEAD login: 302',
      'callback 302: 302',
      'user 200: 200',
      'logout 400 (wrong sid): 400',
      'logout 302: 302',
    ]);
    for (const [label, , cacheControl] of seen) expect(cacheControl, label).toBe('no-store');
  });

  it('answers every /bff/* error as JSON { error, error_description }', async () => {
    const client = new BffClient(stack.baseUrl);
    for (const [path, init] of [
      ['/bff/nope', {}],
      ['/bff/user', {}],
      ['/bff/user', { csrf: false }],
      ['/bff/callback?state=x&code=y', { csrf: false }],
      ['/bff/logout?returnTo=https://evil.com', { csrf: false }],
    ] as const) {
      const response = await client.fetch(path, init);
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(response.headers.get('content-type'), path).toMatch(/^application\/json/);
      const body = (await response.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort(), path).toEqual(['error', 'error_description']);
      expect(typeof body['error'], path).toBe('string');
      expect(typeof body['error_description'], path).toBe('string');
    }
  });
});

/**
 * The `events` option (what metrics are built on): logins, refreshes,
 * logouts, proxied calls and upstream failures against the real provider,
 * and an observer that throws never fails a request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type BffEvents } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import { BffClient } from '../helpers/bff-client.ts';
import { expireAccessToken } from '../helpers/sessions.ts';

const seen: Array<[string, Record<string, unknown>]> = [];
const record = (name: string) => (event: object) => void seen.push([name, { ...event }]);
const events: BffEvents = { login: record('login'), refresh: record('refresh'), logout: record('logout'), proxied: record('proxied'), upstreamFailure: record('upstreamFailure') };

let stack: DemoStack;
let throwing: DemoStack;
beforeAll(async () => {
  stack = await startDemoStack({
    logger: silentLogger,
    bff: ({ api }) => ({
      events,
      apis: [
        { path: '/api/todos', target: `${api.url}/todos`, token: 'user' },
        { path: '/api/down', target: 'http://127.0.0.1:9/x', token: 'user' },
      ],
    }),
  });
  const boom = () => {
    throw new Error('observer bug');
  };
  throwing = await startDemoStack({ logger: silentLogger, bff: { events: { login: boom, refresh: boom, logout: boom, proxied: boom, upstreamFailure: boom } } });
});
afterAll(async () => {
  await stack?.stop();
  await throwing?.stop();
});

describe('events', () => {
  it('reports a login, a refresh, proxied calls with their status, an upstream failure and a logout; never a token or a user', async () => {
    const tab = await BffClient.signedIn(stack.baseUrl, 'alice');
    await expireAccessToken(stack.bff, tab);
    expect((await tab.fetch('/api/todos')).status).toBe(200);
    expect((await tab.fetch('/api/down')).status).toBe(502);
    const logoutUrl = (await tab.user()).body['logoutUrl'] as string;
    await tab.fetch(logoutUrl, { csrf: false });
    const forged = await tab.fetch('/bff/callback?state=forged&code=x', { csrf: false });
    expect(forged.status).toBe(400);
    await expect.poll(() => seen.filter(([n]) => n === 'proxied').length).toBe(2);
    expect(seen.find(([n]) => n === 'login')).toEqual(['login', { outcome: 'ok' }]);
    expect(seen.filter(([n]) => n === 'login').at(-1)).toEqual(['login', { outcome: 'failed', reason: 'invalid_state' }]);
    expect(seen.find(([n]) => n === 'refresh')).toEqual(['refresh', { outcome: 'ok' }]);
    expect(seen.find(([n]) => n === 'upstreamFailure')).toEqual(['upstreamFailure', { route: '/api/down', kind: 'unreachable' }]);
    const proxied = seen.filter(([n]) => n === 'proxied').map(([, e]) => [e['route'], e['status']]);
    expect(proxied).toEqual([
      ['/api/todos', 200],
      ['/api/down', 502],
    ]);
    expect(seen.find(([n]) => n === 'logout')).toEqual(['logout', { kind: 'rp', sessions: 1 }]);
    expect(JSON.stringify(seen)).not.toMatch(/alice|eyJ/);
  });

  it('an observer that throws fails nothing', async () => {
    const tab = await BffClient.signedIn(throwing.baseUrl, 'alice');
    await expireAccessToken(throwing.bff, tab);
    expect((await tab.fetch('/api/todos')).status).toBe(200);
    expect((await tab.user()).status).toBe(200);
  });
});

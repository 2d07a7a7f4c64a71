/**
 * Session lifetimes: an idle (sliding) timeout renewed by activity, an
 * absolute lifetime that activity cannot extend, and `expiresAt` in
 * `/bff/user` telling the SPA when the session ends.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentLogger } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import { BffClient } from '../helpers/bff-client.ts';

let stack: DemoStack;
beforeAll(async () => {
  stack = await startDemoStack({ logger: silentLogger, bff: () => ({ session: { keys: ['k'.repeat(32)], idleTimeout: 3, absoluteTimeout: 6 } }) });
});
afterAll(async () => {
  await stack?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('an idle session ends after the idle timeout', async () => {
  const tab = new BffClient(stack.baseUrl);
  await tab.login('alice');
  const { body } = await tab.user();
  const now = Date.now() / 1000;
  expect(body['expiresAt']).toBeGreaterThan(now);
  expect(body['expiresAt']).toBeLessThanOrEqual(now + 4);
  await sleep(3300);
  expect((await tab.user()).status).toBe(401);
});

it('activity renews the idle timeout, but not past the absolute lifetime', { timeout: 15_000 }, async () => {
  const tab = new BffClient(stack.baseUrl);
  await tab.login('alice');
  const started = Date.now();
  // Every 0.8 s for 5 s: longer than the idle timeout, shorter than the absolute one.
  // (Cookie expiry has one-second precision: the renewal must come well before it.)
  while (Date.now() - started < 5000) {
    expect((await tab.user()).status).toBe(200);
    await sleep(800);
  }
  const { body } = await tab.user();
  expect(body['expiresAt']).toBeLessThanOrEqual(Math.ceil((started + 6000) / 1000) + 1);
  await sleep(Math.max(0, started + 6300 - Date.now()));
  expect((await tab.user()).status).toBe(401);
});

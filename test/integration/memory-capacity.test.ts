/**
 * A full memory store still lets people in (issue 14.1), with real logins
 * through the demo provider: when the store holds `maxEntries` sessions, a
 * new login succeeds, the least recently used session is the one evicted,
 * and a warning says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySessionStore, type BffLogger } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import { BffClient } from '../helpers/bff-client.ts';

const warnings: string[] = [];
const logger: BffLogger = { debug() {}, info() {}, warn: (_fields, message) => void warnings.push(message), error() {} };
const store = new MemorySessionStore({ maxEntries: 3, logger });
let stack: DemoStack;
beforeAll(async () => {
  stack = await startDemoStack({ logger, store });
});
afterAll(async () => {
  await stack?.stop();
  store.close();
});

describe('memory store at capacity', () => {
  it('every new login succeeds; the least recently used session is evicted, with a warning', async () => {
    const tabs: BffClient[] = [];
    for (let i = 0; i < 3; i++) tabs.push(await BffClient.signedIn(stack.baseUrl, i % 2 ? 'bob' : 'alice'));
    // Use the first tab again: the second is now the least recently used.
    expect((await tabs[0]!.user()).status).toBe(200);
    for (let i = 0; i < 4; i++) {
      const tab = await BffClient.signedIn(stack.baseUrl, 'alice');
      expect((await tab.user()).status, `login ${i + 4}`).toBe(200);
      tabs.push(tab);
    }
    expect((await tabs.at(-1)!.user()).status).toBe(200);
    // The second tab (least recently used at the first eviction) is the one that went first.
    expect((await tabs[1]!.user()).status).toBe(401);
    expect(store.evictions).toBeGreaterThanOrEqual(4);
    expect(warnings.some((m) => /evict/i.test(m))).toBe(true);
  });
});

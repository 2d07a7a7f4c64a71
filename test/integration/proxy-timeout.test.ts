/** An upstream that does not answer within the route's timeout gets 504 JSON, and the BFF goes on. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentLogger } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import { BffClient } from '../helpers/bff-client.ts';

let hanging: Server;
let stack: DemoStack;
beforeAll(async () => {
  hanging = createServer(() => {}); // accepts, never answers
  await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
  const port = (hanging.address() as AddressInfo).port;
  stack = await startDemoStack({
    logger: silentLogger,
    bff: ({ api }) => ({
      apis: [
        { path: '/api/todos', target: `${api.url}/todos`, token: 'user' },
        { path: '/api/slow', target: `http://127.0.0.1:${port}/slow`, token: 'user', timeout: 500 },
      ],
    }),
  });
});
afterAll(async () => {
  await stack?.stop();
  hanging.closeAllConnections();
  await new Promise<void>((r) => hanging.close(() => r()));
});

it('answers 504 gateway_timeout after the route timeout, then serves the next call', async () => {
  const tab = await BffClient.signedIn(stack.baseUrl);
  const started = Date.now();
  const response = await tab.fetch('/api/slow');
  expect(response.status).toBe(504);
  expect(await response.json()).toMatchObject({ error: 'gateway_timeout' });
  expect(Date.now() - started).toBeGreaterThanOrEqual(450);
  expect((await tab.fetch('/api/todos')).status).toBe(200);
});

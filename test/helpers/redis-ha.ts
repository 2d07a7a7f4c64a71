/**
 * Shared steps of the Redis Cluster and Sentinel integration tests: a
 * back-channel logout by sid, and traffic through a Redis failover.
 */
import { expect } from 'vitest';
import type { DemoStack } from '@portcullis/demo/stack';
import { BffClient } from './bff-client.ts';
import { authOf } from './sessions.ts';

const EVENT = { 'http://schemas.openid.net/event/backchannel-logout': {} };

/** Two tabs of alice (two provider sessions) and one of bob; a logout token for the first tab's sid ends it only. */
export async function backChannelLogout(stack: DemoStack, signedIn: (user: string) => Promise<BffClient>): Promise<void> {
  const [first, second, bob] = [await signedIn('alice'), await signedIn('alice'), await signedIn('bob')];
  const { sid, sub } = (await authOf(stack.bff, first))!;
  expect(sid).toBeTruthy();
  expect((await authOf(stack.bff, second))!.sid).not.toBe(sid);
  const token = await stack.provider.signJwt({ aud: stack.client.id, jti: crypto.randomUUID(), sid, sub, events: EVENT, exp: Math.floor(Date.now() / 1000) + 120 }, { typ: 'logout+jwt' });
  const response = await fetch(`${stack.baseUrl}/bff/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: token }),
  });
  expect(response.status).toBe(200);
  for (const instance of stack.instances) {
    expect((await new BffClient(instance.url, first.jar).user()).status).toBe(401);
    expect((await new BffClient(instance.url, second.jar).user()).status).toBe(200);
    expect((await new BffClient(instance.url, bob.jar).user()).status).toBe(200);
  }
}

/**
 * Proxied calls from `tab` in a loop, `kill` run once they flow; resolves once calls answer
 * 200 again, with the time from the kill and the statuses seen (never 401: the session lives on).
 */
export async function killDuringTraffic(tab: BffClient, kill: () => Promise<void>, timeoutMs = 20_000): Promise<{ recoveryMs: number; statuses: Record<number, number> }> {
  const statuses: Record<number, number> = {};
  let killedAt = 0;
  let recoveredAt = 0;
  const call = async () => {
    const status = (await tab.fetch('/api/todos')).status;
    statuses[status] = (statuses[status] ?? 0) + 1;
    return status;
  };
  for (let i = 0; i < 5; i++) expect(await call()).toBe(200);
  const loops = Array.from({ length: 4 }, async () => {
    while (!recoveredAt) {
      const startedAt = Date.now();
      const status = await call();
      // Only a call that started after the kill proves recovery.
      if (killedAt && startedAt > killedAt && status === 200) recoveredAt ||= Date.now();
      if (killedAt && Date.now() - killedAt > timeoutMs) throw new Error(`no recovery within ${timeoutMs} ms: ${JSON.stringify(statuses)}`);
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
  });
  await new Promise((r) => setTimeout(r, 200));
  killedAt = Date.now();
  await kill();
  await Promise.all(loops);
  expect(
    Object.keys(statuses)
      .map(Number)
      .filter((s) => s !== 200 && s !== 503),
  ).toEqual([]);
  for (let i = 0; i < 5; i++) expect(await call()).toBe(200);
  return { recoveryMs: recoveredAt - killedAt, statuses };
}

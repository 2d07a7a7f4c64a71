// Step-up end to end on the real demo stack (BFF + demo provider + todo API):
// DELETE /api/todos with a password session is refused by the API (RFC 9470
// challenge, turned into step_up_required by the BFF); a new login through
// the BFF with acr_values=urn:portcullis:mfa shows the provider's code step,
// and afterwards the same call clears the list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@portcullis/bff';
import { startDemoStack, type DemoStack } from '@portcullis/demo/stack';
import { BffClient, formAction } from '../helpers/bff-client.ts';
import { browse } from '../helpers/cookie-jar.ts';

const MFA = 'urn:portcullis:mfa';
let stack: DemoStack;

beforeAll(async () => {
  stack = await startDemoStack({ logger: silentLogger });
});
afterAll(async () => {
  await stack?.stop();
});

describe('demo step-up through the BFF', () => {
  it('password session: 401 step_up_required; MFA login (code shown by the provider): DELETE /api/todos clears the list', async () => {
    const tab = await BffClient.signedIn(stack.baseUrl, 'alice');
    expect((await tab.user()).body).toMatchObject({ acr: 'urn:portcullis:pwd' });

    const refused = await tab.fetch('/api/todos', { method: 'DELETE' });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'step_up_required', acr_values: MFA });
    expect((await (await tab.fetch('/api/todos')).json()) as { todos: unknown[] }).toMatchObject({ todos: [{}, {}] });

    // The SPA would navigate here with the challenge's acr_values.
    const start = await tab.navigate(`/bff/login?acr_values=${encodeURIComponent(MFA)}`);
    const loginHtml = await start.response.text();
    expect(loginHtml).toContain('name="password"');
    const afterPassword = await browse(tab.jar, formAction(loginHtml, start.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ login: 'alice', password: 'alice' }),
    });
    const codeHtml = await afterPassword.response.text();
    expect(codeHtml).toMatch(/demo only: a real provider would send this code to your phone/i);
    const code = /data-code="(\d{6})"/.exec(codeHtml)![1]!;
    const done = await browse(tab.jar, formAction(codeHtml, afterPassword.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ code }),
    });
    expect(new URL(done.url).origin).toBe(stack.baseUrl);

    expect((await tab.user()).body).toMatchObject({ acr: MFA });
    const cleared = await tab.fetch('/api/todos', { method: 'DELETE' });
    expect(cleared.status, await cleared.clone().text()).toBe(200);
    expect(await cleared.json()).toEqual({ deleted: 2 });
    expect(await (await tab.fetch('/api/todos')).json()).toEqual({ todos: [] });
  });
});

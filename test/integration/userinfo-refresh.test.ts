/**
 * `userinfo` claims renewed at refresh (issue 15): a provider whose ID token
 * is thin (the keycloak profile: profile claims only at userinfo) changes a
 * user's name; after the next refresh `/bff/user` shows the new name, read
 * from userinfo with the new access token. (A userinfo failure at refresh
 * keeping the session and its claims: packages/bff/test/tokens/refreshed-claims.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expireAccessToken, eventually } from '../helpers/sessions.ts';
import { signIn, startMatrix, type MatrixStack } from '../providers/matrix.ts';
import { ALICE } from '../providers/provider.ts';

// The simulated provider reads ALICE at each claims lookup: renaming her renames her there.
const alice = ALICE as { name: string };
const thin = {
  endSession: { style: 'oidc' as const },
  revocation: true,
  backchannel: true,
  frontchannel: false,
  iss: true,
  thinIdToken: true,
  tokenEndpointAuthMethod: 'client_secret_basic' as const,
};
let stack: MatrixStack;
beforeAll(async () => {
  stack = await startMatrix('keycloak', thin);
});
afterAll(async () => {
  alice.name = 'Alice Liddell';
  await stack?.stop();
});

describe('userinfo at refresh', () => {
  it('a renamed user shows the new name after the next refresh, not before', async () => {
    const { tab } = await signIn(stack);
    expect((await tab.user()).body['claims']).toMatchObject({ name: 'Alice Liddell' });
    alice.name = 'Alice Renamed';
    expect((await tab.fetch('/api/echo')).status).toBe(200);
    expect((await tab.user()).body['claims']).toMatchObject({ name: 'Alice Liddell' });

    await expireAccessToken(stack.bff, tab);
    expect((await tab.fetch('/api/echo')).status).toBe(200);
    // Renewed in the background: the call did not wait for it.
    await eventually(async () => ((await tab.user()).body['claims'] as { name?: string }).name === 'Alice Renamed');
    expect((await tab.user()).body['claims']).toMatchObject({ email: 'alice@example.com' });
  });
});

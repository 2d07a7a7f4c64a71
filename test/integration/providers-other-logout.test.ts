/**
 * Compatibility matrix, providers whose logout is not plain RP-Initiated
 * Logout: Entra-like (logout_hint from the login_hint claim, no revocation
 * endpoint, thin ID token, no back-channel), Cognito-like
 * (`/logout?client_id&logout_uri`, client_secret_post, no end_session_endpoint)
 * and Google-like (no end-session at all: local logout, said in the response;
 * access_type=offline + prompt=consent). See test/providers/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn, startMatrix, type MatrixStack } from '../providers/matrix.ts';
import { walk } from '../providers/walk.ts';

const standard = { revocation: true, backchannel: false, frontchannel: false, iss: true, thinIdToken: false, tokenEndpointAuthMethod: 'client_secret_basic' } as const;
const scope = (q: URLSearchParams) => (q.get('scope') ?? '').split(' ');

walk('entra: logout_hint from login_hint, no revocation endpoint, thin ID token + userinfo', {
  profile: 'entra',
  behaviour: { ...standard, endSession: { style: 'oidc', logoutHint: 'alice-login-hint' }, revocation: false, thinIdToken: true },
  authorization: (q) => expect(scope(q)).toContain('offline_access'),
  logout: 'provider',
  endSession: (q) => expect(q.get('logout_hint')).toBe('alice-login-hint'),
});

walk('cognito: /logout?client_id&logout_uri, client_secret_post', {
  profile: 'cognito',
  behaviour: { ...standard, endSession: { style: 'cognito' }, tokenEndpointAuthMethod: 'client_secret_post' },
  authorization: (q) => expect(scope(q)).not.toContain('offline_access'),
  logout: 'provider',
  endSession: (q) => {
    expect(q.get('client_id')).toBe('matrix-bff');
    expect(q.get('logout_uri')).toMatch(/^http:\/\/localhost:\d+\/$/);
  },
});

walk('google: no end-session (local logout), access_type=offline + prompt=consent', {
  profile: 'google',
  behaviour: { ...standard, endSession: { style: 'none' } },
  authorization: (q) => {
    expect(q.get('access_type')).toBe('offline');
    expect(q.getAll('prompt')).toEqual(['consent']);
    expect(scope(q)).not.toContain('offline_access');
  },
  logout: 'local',
});

describe('userinfo about another subject', () => {
  let stack: MatrixStack;
  beforeAll(async () => {
    stack = await startMatrix('keycloak', { ...standard, endSession: { style: 'oidc' }, thinIdToken: true, userinfoSub: 'mallory' });
  });
  afterAll(() => stack?.stop());

  it('fails the login with 401 invalid_token and creates no session', async () => {
    const { tab, landed } = await signIn(stack);
    expect(new URL(landed.url).pathname).toBe('/bff/callback');
    expect(landed.response.status).toBe(401);
    expect(await landed.response.text()).toContain('invalid_token');
    expect((await tab.user()).status).toBe(401);
  });
});

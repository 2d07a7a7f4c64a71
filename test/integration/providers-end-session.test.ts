/**
 * Compatibility matrix, providers with an end-session endpoint: generic
 * (oidc-provider, back-channel), Keycloak-like (redirects back only with
 * `state`, thin ID token, back-channel), Okta-like (`id_token_hint`
 * required), Auth0-like (no RFC 9207 `iss`, front-channel only). See
 * test/providers/ for the simulated providers and the walk.
 */
import { expect } from 'vitest';
import { walk } from '../providers/walk.ts';

const standard = { revocation: true, backchannel: false, frontchannel: false, iss: true, thinIdToken: false, tokenEndpointAuthMethod: 'client_secret_basic' } as const;
const scope = (q: URLSearchParams) => (q.get('scope') ?? '').split(' ');

walk('generic (oidc-provider): logout_hint, no id_token_hint, back-channel', {
  profile: 'generic',
  behaviour: { ...standard, endSession: { style: 'oidc' }, backchannel: true },
  authorization: (q) => expect(scope(q)).toContain('offline_access'),
  logout: 'provider',
  endSession: (q) => {
    expect(q.has('id_token_hint')).toBe(false);
    expect(q.get('logout_hint')).toBe('alice-login-hint');
  },
  channel: 'back',
});

walk('keycloak: state required to come back, thin ID token + userinfo, back-channel', {
  profile: 'keycloak',
  behaviour: { ...standard, endSession: { style: 'oidc', redirectOnlyWithState: true }, backchannel: true, thinIdToken: true },
  authorization: (q) => expect(scope(q)).not.toContain('offline_access'),
  logout: 'provider',
  endSession: (q) => expect(q.has('id_token_hint')).toBe(false),
  channel: 'back',
});

walk('okta: id_token_hint required', {
  profile: 'okta',
  behaviour: { ...standard, endSession: { style: 'oidc', require: ['id_token_hint'], redirectOnlyWithState: true } },
  authorization: (q) => expect(scope(q)).toContain('offline_access'),
  logout: 'provider',
  endSession: (q, idToken) => expect(q.get('id_token_hint')).toBe(idToken),
});

walk('auth0: no iss parameter, front-channel only', {
  profile: 'auth0',
  behaviour: { ...standard, endSession: { style: 'oidc' }, iss: false, frontchannel: true },
  authorization: (q) => expect(scope(q)).toContain('offline_access'),
  logout: 'provider',
  channel: 'front',
});

/**
 * Provider profiles: each sets defaults only (explicit options win), `'auto'`
 * is decided by the profile, `generic` keeps the secure defaults, and a
 * wrong `provider`, `userinfo` or `logout.idTokenHint` names the option.
 */
import { describe, expect, it } from 'vitest';
import { BffOptionsError, resolveOptions, type BffOptions } from '../../src/options.ts';
import { PROVIDER_NAMES, PROVIDER_PROFILES } from '../../src/protocol/profiles.ts';

const base = (extra: Partial<BffOptions> = {}): BffOptions => ({
  issuer: 'https://id.example.com',
  clientId: 'app',
  clientSecret: 'secret',
  baseUrl: 'https://app.example.com',
  session: { keys: ['k'.repeat(32)] },
  ...extra,
});

describe('provider profiles', () => {
  it('generic by default: offline_access, client_secret_basic, no id_token_hint, revocation, no userinfo', () => {
    const o = resolveOptions(base());
    expect(o.provider).toBe('generic');
    expect(o.scope).toBe('openid profile email offline_access');
    expect(o.clientAuthentication).toBe('client_secret_basic');
    expect(o.logout).toEqual({ idTokenHint: false, revokeTokens: true, frontchannel: false });
    expect(o.userinfo).toBe(false);
    expect(o.authorizationParams).toEqual({});
  });

  it.each([
    ['okta', { idTokenHint: true, revokeTokens: true, frontchannel: false }, false, 'openid profile email offline_access', 'client_secret_basic'],
    ['keycloak', { idTokenHint: false, revokeTokens: true, frontchannel: false }, true, 'openid profile email', 'client_secret_basic'],
    ['entra', { idTokenHint: false, revokeTokens: false, frontchannel: false }, true, 'openid profile email offline_access', 'client_secret_basic'],
    ['cognito', { idTokenHint: false, revokeTokens: true, frontchannel: false }, false, 'openid profile email', 'client_secret_post'],
    ['google', { idTokenHint: false, revokeTokens: true, frontchannel: false }, false, 'openid profile email', 'client_secret_basic'],
    ['auth0', { idTokenHint: false, revokeTokens: true, frontchannel: false }, false, 'openid profile email offline_access', 'client_secret_basic'],
  ] as const)('%s: its defaults', (provider, logout, userinfo, scope, auth) => {
    const o = resolveOptions(base({ provider }));
    expect(o.logout).toEqual(logout);
    expect(o.userinfo).toBe(userinfo);
    expect(o.scope).toBe(scope);
    expect(o.clientAuthentication).toBe(auth);
    expect(o.profile).toBe(PROVIDER_PROFILES[provider]);
  });

  it('explicit options win over the profile; authorizationParams merge over its own', () => {
    const o = resolveOptions(
      base({
        provider: 'google',
        scope: 'openid',
        clientAuthentication: 'client_secret_post',
        userinfo: true,
        logout: { idTokenHint: true, revokeTokens: false },
        authorizationParams: { prompt: 'select_account', hd: 'example.com' },
      }),
    );
    expect(o.scope).toBe('openid');
    expect(o.clientAuthentication).toBe('client_secret_post');
    expect(o.userinfo).toBe(true);
    expect(o.logout).toEqual({ idTokenHint: true, revokeTokens: false, frontchannel: false });
    expect(o.authorizationParams).toEqual({ access_type: 'offline', prompt: 'select_account', hd: 'example.com' });
    expect(resolveOptions(base({ provider: 'okta', logout: { idTokenHint: false } })).logout.idTokenHint).toBe(false);
    expect(resolveOptions(base({ provider: 'entra', logout: { revokeTokens: true } })).logout.revokeTokens).toBe(true);
  });

  it('every profile is complete and its scope asks for openid', () => {
    for (const name of PROVIDER_NAMES) expect(PROVIDER_PROFILES[name].scope.split(' ')).toContain('openid');
  });

  it('wrong values name the option', () => {
    const errorOf = (options: BffOptions) => {
      try {
        resolveOptions(options);
      } catch (err) {
        return err as BffOptionsError;
      }
      throw new Error('expected an error');
    };
    expect(errorOf(base({ provider: 'ping' as never })).option).toBe('provider');
    expect(errorOf(base({ provider: 'ping' as never })).message).toContain('"keycloak"');
    expect(errorOf(base({ userinfo: 'yes' as never })).option).toBe('userinfo');
    expect(errorOf(base({ logout: { idTokenHint: 'always' as never } })).option).toBe('logout.idTokenHint');
  });
});

import { describe, expect, it } from 'vitest';

import { createAuthInfo, isClientToken, parseScope } from '../src/auth-info.ts';

describe('parseScope', () => {
  it('splits on spaces, drops empties and duplicates', () => {
    expect(parseScope('a  b a')).toEqual(['a', 'b']);
    expect(parseScope(undefined)).toEqual([]);
    expect(parseScope(['a'])).toEqual([]);
  });
});

describe('createAuthInfo / isClientToken', () => {
  it('is a user token when sub differs from client_id', () => {
    const auth = createAuthInfo({ sub: 'alice', client_id: 'spa', scope: 'orders:read' }, 'jwt');
    expect(auth).toEqual({
      kind: 'user',
      sub: 'alice',
      clientId: 'spa',
      scopes: ['orders:read'],
      claims: { sub: 'alice', client_id: 'spa', scope: 'orders:read' },
      source: 'jwt',
    });
    expect(isClientToken(auth)).toBe(false);
  });

  it('is a client token when sub equals client_id (oidc-provider client_credentials JWTs)', () => {
    const auth = createAuthInfo({ sub: 'worker', client_id: 'worker' }, 'jwt');
    expect(auth.kind).toBe('client');
    expect(isClientToken(auth)).toBe(true);
  });

  it('is a client token when sub is absent (oidc-provider client_credentials introspection)', () => {
    const auth = createAuthInfo({ client_id: 'worker' }, 'introspection');
    expect(auth.kind).toBe('client');
    expect(auth.sub).toBeUndefined();
    expect(isClientToken(auth)).toBe(true);
  });

  it('is frozen, claims included', () => {
    const auth = createAuthInfo({ client_id: 'c', scope: 'a' }, 'jwt');
    expect(Object.isFrozen(auth)).toBe(true);
    expect(Object.isFrozen(auth.claims)).toBe(true);
    expect(Object.isFrozen(auth.scopes)).toBe(true);
  });
});

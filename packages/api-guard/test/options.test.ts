import { describe, expect, it } from 'vitest';

import { DEFAULT_ALGORITHMS, resolveOptions } from '../src/options.ts';

const base = { issuer: 'https://id.example.com', audience: 'https://api.example.com' };

describe('resolveOptions', () => {
  it('applies the documented defaults', () => {
    const resolved = resolveOptions(base);
    expect(resolved).toEqual({
      issuer: 'https://id.example.com',
      audience: ['https://api.example.com'],
      scopes: [],
      algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      clockTolerance: 5,
      realm: undefined,
      introspection: undefined,
      timeout: 5000,
      jwksCooldown: 30,
    });
    expect(resolved.algorithms).toBe(DEFAULT_ALGORITHMS);
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it('keeps the issuer exactly as given (issuer comparison is exact)', () => {
    expect(resolveOptions({ ...base, issuer: 'https://id.example.com/tenant/' }).issuer).toBe('https://id.example.com/tenant/');
  });

  it.each([
    ['a relative URL', '/issuer'],
    ['plain http on a public host', 'http://id.example.com'],
    ['another scheme', 'ftp://id.example.com'],
    ['an empty string', ''],
  ])('rejects an issuer that is %s, naming the option and the value', (_, issuer) => {
    expect(() => resolveOptions({ ...base, issuer })).toThrow(
      new TypeError(`api-guard: option "issuer" must be an absolute https URL (http allowed for localhost), got ${JSON.stringify(issuer)}`),
    );
  });

  it('rejects a missing issuer', () => {
    expect(() => resolveOptions({ audience: 'x' })).toThrow(/option "issuer" must be an absolute https URL .*got undefined/);
  });

  it.each(['http://localhost:3000', 'http://127.0.0.1:4000/oidc', 'http://[::1]:8080'])('allows http for localhost: %s', (issuer) => {
    expect(resolveOptions({ ...base, issuer }).issuer).toBe(issuer);
  });

  it('rejects an issuer with a query or fragment (RFC 8414 §2)', () => {
    expect(() => resolveOptions({ ...base, issuer: 'https://id.example.com?x=1' })).toThrow(/must not contain credentials, a query or a fragment/);
    expect(() => resolveOptions({ ...base, issuer: 'https://id.example.com#' })).toThrow(/must not contain credentials, a query or a fragment/);
  });

  it('normalises audience to a list and rejects empty ones', () => {
    expect(resolveOptions({ ...base, audience: ['a', 'b'] }).audience).toEqual(['a', 'b']);
    expect(() => resolveOptions({ ...base, audience: [] })).toThrow(/option "audience" must be a non-empty string/);
    expect(() => resolveOptions({ ...base, audience: '' })).toThrow(/option "audience"/);
    expect(() => resolveOptions({ ...base, audience: ['a', 1] })).toThrow(/option "audience".*got number 1/);
  });

  it('validates scopes as scope-tokens', () => {
    expect(resolveOptions({ ...base, scopes: ['orders:read', 'orders:read', 'x'] }).scopes).toEqual(['orders:read', 'x']);
    expect(() => resolveOptions({ ...base, scopes: 'orders:read' })).toThrow(/option "scopes" must be an array of scope names/);
    expect(() => resolveOptions({ ...base, scopes: ['a b'] })).toThrow(/option "scopes" must contain scope names without spaces/);
  });

  it('never allows "none" or HS* algorithms, with a reason', () => {
    expect(() => resolveOptions({ ...base, algorithms: ['RS256', 'none'] })).toThrow(/"algorithms" must not contain "none"/);
    expect(() => resolveOptions({ ...base, algorithms: ['HS256'] })).toThrow(/"algorithms" must not contain HS\* algorithms.*public key could be used as the HMAC secret/);
    expect(() => resolveOptions({ ...base, algorithms: ['RSA-OAEP'] })).toThrow(/"algorithms" must contain only RS256, .*got "RSA-OAEP"/);
    expect(() => resolveOptions({ ...base, algorithms: [] })).toThrow(/"algorithms" must be a non-empty array/);
    expect(resolveOptions({ ...base, algorithms: ['ES384', 'RS512'] }).algorithms).toEqual(['ES384', 'RS512']);
  });

  it('bounds clockTolerance and timeout (catches milliseconds passed as seconds)', () => {
    expect(resolveOptions({ ...base, clockTolerance: 0 }).clockTolerance).toBe(0);
    expect(() => resolveOptions({ ...base, clockTolerance: 5000 })).toThrow(/option "clockTolerance" must be a number of seconds from 0 to 300, got number 5000/);
    expect(() => resolveOptions({ ...base, clockTolerance: -1 })).toThrow(/clockTolerance/);
    expect(() => resolveOptions({ ...base, timeout: 1.5 })).toThrow(/option "timeout" must be an integer of milliseconds/);
  });

  it('bounds jwksCooldown, in seconds (0 allowed: refetch on every unknown kid)', () => {
    expect(resolveOptions({ ...base, jwksCooldown: 0 }).jwksCooldown).toBe(0);
    expect(resolveOptions({ ...base, jwksCooldown: 2.5 }).jwksCooldown).toBe(2.5);
    expect(resolveOptions({ ...base, jwksCooldown: 600 }).jwksCooldown).toBe(600);
    expect(() => resolveOptions({ ...base, jwksCooldown: 30_000 })).toThrow(
      new TypeError('api-guard: option "jwksCooldown" must be a number of seconds from 0 to 600, got number 30000'),
    );
    expect(() => resolveOptions({ ...base, jwksCooldown: -1 })).toThrow(/option "jwksCooldown"/);
    expect(() => resolveOptions({ ...base, jwksCooldown: Number.NaN })).toThrow(/option "jwksCooldown"/);
    expect(() => resolveOptions({ ...base, jwksCooldown: '30' })).toThrow(/option "jwksCooldown".*got "30"/);
  });

  it('validates realm', () => {
    expect(resolveOptions({ ...base, realm: 'orders' }).realm).toBe('orders');
    expect(() => resolveOptions({ ...base, realm: 'a\nb' })).toThrow(/option "realm" must be a non-empty string of printable ASCII/);
  });

  it('validates introspection and applies its defaults', () => {
    expect(resolveOptions({ ...base, introspection: { clientId: 'api', clientSecret: 's3cret' } }).introspection).toEqual({
      clientId: 'api',
      clientSecret: 's3cret',
      cacheTtl: 30,
      cacheMaxEntries: 1000,
    });
    expect(() => resolveOptions({ ...base, introspection: { clientSecret: 'x' } })).toThrow(/option "introspection.clientId"/);
    expect(() => resolveOptions({ ...base, introspection: { clientId: 'api', clientSecret: 'x', cacheTtl: 3600 } })).toThrow(
      /option "introspection.cacheTtl" must be a number of seconds from 0 to 300/,
    );
    expect(() => resolveOptions({ ...base, introspection: { clientId: 'api', clientSecret: 'x', ttl: 1 } })).toThrow(
      /unknown option "introspection.ttl"/,
    );
  });

  it('never echoes a client secret in an error', () => {
    let message = '';
    try {
      resolveOptions({ ...base, introspection: { clientId: 'api', clientSecret: 42 } });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe('api-guard: option "introspection.clientSecret" must be a non-empty string (the API\'s client secret)');
  });

  it('rejects unknown options (typos) and non-objects', () => {
    expect(() => resolveOptions({ ...base, scope: ['x'] })).toThrow(/unknown option "scope" \(known options: issuer, audience, scopes,/);
    expect(() => resolveOptions(undefined)).toThrow(/options must be an object/);
  });
});

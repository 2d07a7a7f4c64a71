import { describe, expect, it } from 'vitest';

import { DEFAULT_ALGORITHMS, resolveOptions } from '../src/options.ts';
import { ApiGuardOptionsError } from '../src/validate.ts';

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
      dpop: undefined,
    });
    expect(resolved.algorithms).toBe(DEFAULT_ALGORITHMS);
    expect(Object.isFrozen(resolved.algorithms)).toBe(true);
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
    expect(() => resolveOptions({ ...base, issuer })).toThrow(`api-guard: option "issuer" must be an absolute https URL (http allowed for localhost), got ${JSON.stringify(issuer)}`);
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
    expect(() => resolveOptions({ ...base, audience: ['a', 1] })).toThrow(/option "audience\[1\]".*got number 1/);
  });

  it('validates scopes as scope-tokens', () => {
    expect(resolveOptions({ ...base, scopes: ['orders:read', 'orders:read', 'x'] }).scopes).toEqual(['orders:read', 'x']);
    expect(() => resolveOptions({ ...base, scopes: 'orders:read' })).toThrow(/option "scopes" must be an array of scope names/);
    expect(() => resolveOptions({ ...base, scopes: ['a b'] })).toThrow(/option "scopes\[0\]" must contain scope names without spaces/);
  });

  it('never allows "none" or HS* algorithms, with a reason', () => {
    expect(() => resolveOptions({ ...base, algorithms: ['RS256', 'none'] })).toThrow(/"algorithms\[1\]" must not contain "none"/);
    expect(() => resolveOptions({ ...base, algorithms: ['HS256'] })).toThrow(/"algorithms\[0\]" must not contain HS\* algorithms.*public key could be used as the HMAC secret/);
    expect(() => resolveOptions({ ...base, algorithms: ['RSA-OAEP'] })).toThrow(/"algorithms\[0\]" must contain only RS256, .*got "RSA-OAEP"/);
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
    expect(() => resolveOptions({ ...base, jwksCooldown: 30_000 })).toThrow('api-guard: option "jwksCooldown" must be a number of seconds from 0 to 600, got number 30000');
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
    expect(() => resolveOptions({ ...base, introspection: { clientId: 'api', clientSecret: 'x', ttl: 1 } })).toThrow(/unknown option "introspection.ttl"/);
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
    expect(() => resolveOptions({ ...base, scope: ['x'] })).toThrow(/unknown option "scope" \(known options: issuer, audience, scopes,.*\): check its spelling/);
    expect(() => resolveOptions(undefined)).toThrow(/options must be an object/);
  });

  it('throws ApiGuardOptionsError, a TypeError that names the option', () => {
    let error: unknown;
    try {
      resolveOptions({ ...base, introspection: { clientId: '', clientSecret: 'x' } });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiGuardOptionsError);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as ApiGuardOptionsError).option).toBe('introspection.clientId');
    expect((error as Error).message).toBe('api-guard: option "introspection.clientId" must be the API\'s non-empty client_id at the authorization server, got ""');
  });

  it('resolves dpop: off by default, true for the defaults, an object validated key by key', () => {
    expect(resolveOptions(base).dpop).toBeUndefined();
    expect(resolveOptions({ ...base, dpop: false }).dpop).toBeUndefined();
    expect(resolveOptions({ ...base, dpop: true }).dpop).toEqual({
      required: false,
      algorithms: ['ES256', 'EdDSA', 'Ed25519', 'PS256', 'RS256'],
      maxAge: 60,
      nonce: undefined,
      publicUrl: undefined,
      replayCacheSize: 10_000,
    });
    const custom = resolveOptions({
      ...base,
      dpop: { required: true, algorithms: ['ES256'], maxAge: 30, nonce: { secret: 'x'.repeat(32), lifetime: 60 }, publicUrl: 'https://api.example.com/v1/' },
    }).dpop;
    expect(custom).toEqual({
      required: true,
      algorithms: ['ES256'],
      maxAge: 30,
      nonce: { secret: 'x'.repeat(32), lifetime: 60 },
      publicUrl: 'https://api.example.com/v1',
      replayCacheSize: 10_000,
    });
    expect(resolveOptions({ ...base, dpop: { nonce: true } }).dpop?.nonce).toEqual({ secret: expect.any(String), lifetime: 300 });
  });

  it.each([
    [{ nonce: { secret: 'short' } }, /option "dpop.nonce.secret" must be at least 32 characters/],
    [{ maxAge: 0 }, /option "dpop.maxAge" must be a number of seconds from 1 to 600, got number 0/],
    [{ algorithms: ['HS256'] }, /option "dpop.algorithms\[0\]" must not contain HS\* algorithms/],
    [{ algorithms: ['none'] }, /option "dpop.algorithms\[0\]" must not contain "none"/],
    [{ publicUrl: 'https://api.example.com/?x=1' }, /option "dpop.publicUrl" must be an absolute http\(s\) URL without query/],
    [{ nonces: true }, /unknown option "dpop.nonces" \(known options: dpop.required, .*dpop.nonce, /],
    ['yes', /option "dpop" must be true, false or an object/],
  ])('rejects dpop %j', (dpop, message) => {
    expect(() => resolveOptions({ ...base, dpop })).toThrow(message);
  });
});

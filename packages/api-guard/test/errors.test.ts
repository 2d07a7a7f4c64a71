import { describe, expect, it } from 'vitest';

import { ApiGuardError, InsufficientScope, InvalidRequest, InvalidToken, MissingToken, TemporarilyUnavailable, InsufficientUserAuthentication, InvalidDpopProof, UseDpopNonce } from '../src/errors.ts';
import { formatWwwAuthenticate } from '../src/challenge.ts';

describe('formatWwwAuthenticate', () => {
  it('is just "Bearer" without attributes (RFC 6750 §3.1, no authentication info)', () => {
    expect(formatWwwAuthenticate({})).toBe('Bearer');
  });

  it('lists realm, error, error_description and scope in that order', () => {
    expect(formatWwwAuthenticate({ scope: 'a b', error_description: 'why', error: 'insufficient_scope', realm: 'api' })).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="why", scope="a b"',
    );
  });

  it('escapes quotes and backslashes in quoted strings', () => {
    expect(formatWwwAuthenticate({ realm: 'a"b\\c' })).toBe('Bearer realm="a\\"b\\\\c"');
  });
});

describe('errors', () => {
  it('carry the OAuth code, status, JSON body and challenge', () => {
    const cases: [ApiGuardError, string, number, string | undefined][] = [
      [new InvalidRequest('bad header'), 'invalid_request', 400, 'Bearer realm="r", error="invalid_request", error_description="bad header"'],
      [new InvalidToken('expired'), 'invalid_token', 401, 'Bearer realm="r", error="invalid_token", error_description="expired"'],
      [new TemporarilyUnavailable('down'), 'temporarily_unavailable', 503, undefined],
    ];
    for (const [err, code, status, challenge] of cases) {
      expect(err).toBeInstanceOf(ApiGuardError);
      expect(err).toBeInstanceOf(Error);
      expect(err.code).toBe(code);
      expect(err.status).toBe(status);
      expect(err.toJSON()).toEqual({ error: code, error_description: err.description });
      expect(err.wwwAuthenticate('r')).toBe(challenge);
      expect(err.name).toBe(err.constructor.name);
    }
  });

  it('MissingToken is a 401 invalid_token whose challenge has no error (RFC 6750 §3.1)', () => {
    const err = new MissingToken();
    expect(err).toBeInstanceOf(InvalidToken);
    expect(err.status).toBe(401);
    expect(err.wwwAuthenticate()).toBe('Bearer');
    expect(err.wwwAuthenticate('api')).toBe('Bearer realm="api"');
    expect(err.toJSON()).toEqual({ error: 'invalid_token', error_description: 'a bearer access token is required' });
  });

  it('InsufficientScope names every required scope', () => {
    const err = new InsufficientScope(['orders:read', 'orders:write']);
    expect(err.status).toBe(403);
    expect(err.scopes).toEqual(['orders:read', 'orders:write']);
    expect(err.wwwAuthenticate()).toBe('Bearer error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders:read orders:write"');
  });

  it('keeps a log-only message and cause apart from the client-facing description', () => {
    const cause = new Error('ECONNREFUSED');
    const err = new TemporarilyUnavailable('the authorization server is unavailable', { cause, message: 'could not reach https://id' });
    expect(err.message).toBe('could not reach https://id');
    expect(err.cause).toBe(cause);
    expect(err.toJSON().error_description).toBe('the authorization server is unavailable');
  });

  it('refuses descriptions that RFC 6750 does not allow', () => {
    expect(() => new InvalidToken('say "hi"')).toThrow(TypeError);
    expect(() => new InvalidToken('line\nbreak')).toThrow(TypeError);
  });

  it('share one shape: code, status, expose = status < 500, headers', () => {
    const errors: ApiGuardError[] = [
      new InvalidRequest('x'),
      new InvalidToken('x'),
      new MissingToken(),
      new InsufficientScope(['a']),
      new InsufficientUserAuthentication('x', { acrValues: ['urn:a'] }),
      new InvalidDpopProof('x'),
      new UseDpopNonce('n-1'),
      new TemporarilyUnavailable('x'),
    ];
    for (const err of errors) {
      expect(err.expose).toBe(err.status < 500);
      expect(typeof err.code).toBe('string');
    }
    expect(new TemporarilyUnavailable('x').expose).toBe(false);
    expect(new UseDpopNonce('n-1').headers).toEqual({ 'DPoP-Nonce': 'n-1' });
    expect(new InvalidToken('x').headers).toEqual({});
  });

  it('InsufficientUserAuthentication carries acr_values and max_age (RFC 9470 §3)', () => {
    const err = new InsufficientUserAuthentication('why', { acrValues: ['urn:a', 'urn:b'], maxAge: 5 });
    expect(err.status).toBe(401);
    expect(err.wwwAuthenticate()).toBe('Bearer error="insufficient_user_authentication", error_description="why", acr_values="urn:a urn:b", max_age="5"');
    expect(new InsufficientUserAuthentication('why', { maxAge: 0 }).wwwAuthenticate()).toBe('Bearer error="insufficient_user_authentication", error_description="why", max_age="0"');
  });
});

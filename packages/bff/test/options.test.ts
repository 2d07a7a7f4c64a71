/**
 * Option validation: every wrong option throws a BffOptionsError that names
 * the option, at createBff time; good options resolve with their defaults.
 */
import { describe, expect, it } from 'vitest';
import { createBff } from '../src/bff.ts';
import { silentLogger } from '../src/logger.ts';
import { BffOptionsError, resolveOptions, type BffOptions } from '../src/options.ts';
import { internalsOf } from '../src/internals.ts';

const KEY = 'k'.repeat(32);

const valid = (): BffOptions => ({
  issuer: 'https://id.example.com',
  clientId: 'app',
  clientSecret: 'secret',
  baseUrl: 'https://app.example.com',
  session: { keys: [KEY] },
});

/** `valid()` with `change` applied (keys set to `undefined` are deleted). */
function withOptions(change: (o: Record<string, any>) => void): BffOptions {
  const o = structuredClone(valid()) as Record<string, any>;
  change(o);
  return o as BffOptions;
}

/** The error resolveOptions throws for `options`. */
function errorOf(options: BffOptions): BffOptionsError {
  try {
    resolveOptions(options);
  } catch (err) {
    expect(err).toBeInstanceOf(BffOptionsError);
    expect(err).toBeInstanceOf(TypeError);
    return err as BffOptionsError;
  }
  throw new Error('expected a BffOptionsError');
}

/** Expects a BffOptionsError for `option`, whose message names it. */
function expectOptionError(options: BffOptions, option: string, message?: RegExp): void {
  const err = errorOf(options);
  expect(err.name).toBe('BffOptionsError');
  expect(err.option).toBe(option);
  expect(err.message).toContain(`"${option}"`);
  if (message) expect(err.message).toMatch(message);
}

describe('resolveOptions: valid options', () => {
  it('applies the documented defaults for an https baseUrl', () => {
    const o = resolveOptions(valid());
    expect(o.scope).toBe('openid profile email offline_access');
    expect(o.path).toBe('/bff');
    expect(o.clientAuthentication).toBe('client_secret_basic');
    expect(o.session.cookie).toBe('__Host-portcullis');
    expect(o.session.secure).toBe(true);
    expect(o.session.sameSite).toBe('strict');
    expect(o.session.idleTimeout).toBe(86_400);
    expect(o.session.absoluteTimeout).toBe(604_800);
    expect(o.apis).toEqual([]);
    expect(o.logout).toEqual({ idTokenHint: false, revokeTokens: true, frontchannel: false });
    expect(o.origin).toBe('https://app.example.com');
    expect(o.redirectUri).toBe('https://app.example.com/bff/callback');
    expect(o.idTokenAlgorithms).not.toContain('none');
  });

  it('drops the __Host- prefix and Secure for a plain-http localhost baseUrl only', () => {
    for (const baseUrl of ['http://localhost:3000', 'http://127.0.0.1:3000', 'http://[::1]:3000', 'http://localhost:3000/']) {
      const o = resolveOptions({ ...valid(), baseUrl });
      expect(o.session.cookie, baseUrl).toBe('portcullis');
      expect(o.session.secure, baseUrl).toBe(false);
      expect(o.redirectUri, baseUrl).toBe(`${new URL(baseUrl).origin}/bff/callback`);
    }
  });

  it('accepts an http localhost issuer, a custom cookie name, SameSite lax and API routes', () => {
    const o = resolveOptions({
      ...valid(),
      issuer: 'http://localhost:4000',
      session: { keys: [KEY, 'o'.repeat(40)], cookieName: 'app-session', sameSite: 'lax' },
      apis: [
        { path: '/api/todos', target: 'http://localhost:4001/todos' },
        { path: '/api/todo-lists', target: 'https://api.example.com/lists', token: 'client', timeout: 1000 },
      ],
    });
    expect(o.session.cookie).toBe('__Host-app-session');
    expect(o.session.sameSite).toBe('lax');
    expect(o.apis[0]).toMatchObject({ path: '/api/todos', token: 'user', timeout: 30_000 });
    expect(o.apis[1]).toMatchObject({ token: 'client', timeout: 1000 });
  });
});

describe('resolveOptions: each wrong option is named', () => {
  it('issuer: not a URL, not http(s), plain http off localhost, missing', () => {
    expectOptionError(
      withOptions((o) => (o.issuer = 'not a url')),
      'issuer',
      /https URL/,
    );
    expectOptionError(
      withOptions((o) => (o.issuer = 'id.example.com')),
      'issuer',
    );
    expectOptionError(
      withOptions((o) => (o.issuer = 'ftp://id.example.com')),
      'issuer',
    );
    expectOptionError(
      withOptions((o) => (o.issuer = 'http://id.example.com')),
      'issuer',
      /localhost/,
    );
    expectOptionError(
      withOptions((o) => (o.issuer = 'http://localhost.evil.com')),
      'issuer',
    );
    expectOptionError(
      withOptions((o) => (o.issuer = 'https://user:pw@id.example.com')),
      'issuer',
    );
    expectOptionError(
      withOptions((o) => delete o.issuer),
      'issuer',
    );
    expectOptionError(
      withOptions((o) => (o.issuer = 42)),
      'issuer',
    );
  });

  it('clientId and clientSecret: missing or empty', () => {
    expectOptionError(
      withOptions((o) => delete o.clientSecret),
      'clientSecret',
      /client secret/,
    );
    expectOptionError(
      withOptions((o) => (o.clientSecret = '')),
      'clientSecret',
    );
    expectOptionError(
      withOptions((o) => delete o.clientId),
      'clientId',
    );
    expectOptionError(
      withOptions((o) => (o.clientId = '')),
      'clientId',
    );
  });

  it('baseUrl: with a path, query or fragment; plain http off localhost; not a URL', () => {
    expectOptionError(
      withOptions((o) => (o.baseUrl = 'https://app.example.com/app')),
      'baseUrl',
      /without a path/,
    );
    expectOptionError(
      withOptions((o) => (o.baseUrl = 'https://app.example.com/app/')),
      'baseUrl',
    );
    expectOptionError(
      withOptions((o) => (o.baseUrl = 'https://app.example.com?x=1')),
      'baseUrl',
    );
    expectOptionError(
      withOptions((o) => (o.baseUrl = 'https://app.example.com/#x')),
      'baseUrl',
    );
    expectOptionError(
      withOptions((o) => (o.baseUrl = 'http://app.example.com')),
      'baseUrl',
    );
    expectOptionError(
      withOptions((o) => (o.baseUrl = '/app')),
      'baseUrl',
    );
  });

  it('session.keys: short, missing, empty, not an array, repeated', () => {
    expectOptionError(
      withOptions((o) => (o.session.keys = ['short'])),
      'session.keys[0]',
      /at least 32 characters/,
    );
    expectOptionError(
      withOptions((o) => (o.session.keys = [KEY, 'x'.repeat(31)])),
      'session.keys[1]',
    );
    expectOptionError(
      withOptions((o) => delete o.session.keys),
      'session.keys',
      /required/,
    );
    expectOptionError(
      withOptions((o) => (o.session.keys = [])),
      'session.keys',
      /at least one key/,
    );
    expectOptionError(
      withOptions((o) => (o.session.keys = KEY)),
      'session.keys',
    );
    expectOptionError(
      withOptions((o) => (o.session.keys = [KEY, KEY])),
      'session.keys',
      /repeat/,
    );
    expectOptionError(
      withOptions((o) => delete o.session),
      'session',
    );
  });

  it('session.cookieName: reserved provider names, a prefix of its own, odd characters', () => {
    for (const name of ['_session', '_interaction', '_interaction_resume', '_state']) {
      expectOptionError(
        withOptions((o) => (o.session.cookieName = name)),
        'session.cookieName',
        /_session/,
      );
    }
    expectOptionError(
      withOptions((o) => (o.session.cookieName = '__Host-x')),
      'session.cookieName',
    );
    expectOptionError(
      withOptions((o) => (o.session.cookieName = '__Secure-x')),
      'session.cookieName',
    );
    expectOptionError(
      withOptions((o) => (o.session.cookieName = 'a b')),
      'session.cookieName',
    );
    expectOptionError(
      withOptions((o) => (o.session.cookieName = 'a;b')),
      'session.cookieName',
    );
    expectOptionError(
      withOptions((o) => (o.session.cookieName = '')),
      'session.cookieName',
    );
  });

  it('session: sameSite, timeouts', () => {
    expectOptionError(
      withOptions((o) => (o.session.sameSite = 'none')),
      'session.sameSite',
    );
    expectOptionError(
      withOptions((o) => (o.session.idleTimeout = 0)),
      'session.idleTimeout',
    );
    expectOptionError(
      withOptions((o) => (o.session.idleTimeout = 1.5)),
      'session.idleTimeout',
    );
    expectOptionError(
      withOptions((o) => (o.session.absoluteTimeout = -1)),
      'session.absoluteTimeout',
    );
    expectOptionError(
      withOptions((o) => Object.assign(o.session, { idleTimeout: 3600, absoluteTimeout: 600 })),
      'session.absoluteTimeout',
    );
    expectOptionError(
      withOptions((o) => (o.session.store = { get() {} })),
      'session.store',
    );
  });

  it('apis: a path overlapping another, under the BFF path, malformed; a bad target', () => {
    const api = (path: string, target = 'http://localhost:4001/x') => ({ path, target });
    expectOptionError(
      withOptions((o) => (o.apis = [api('/api'), api('/api/todos')])),
      'apis[1].path',
      /overlaps/,
    );
    expectOptionError(
      withOptions((o) => (o.apis = [api('/api/todos'), api('/api')])),
      'apis[1].path',
      /overlaps/,
    );
    expectOptionError(
      withOptions((o) => (o.apis = [api('/api/todos'), api('/api/todos')])),
      'apis[1].path',
      /overlaps/,
    );
    expectOptionError(
      withOptions((o) => (o.apis = [api('/bff/api')])),
      'apis[0].path',
      /under the BFF path/,
    );
    expectOptionError(
      withOptions((o) => (o.apis = [api('/bff')])),
      'apis[0].path',
      /under the BFF path/,
    );
    expectOptionError(
      withOptions((o) => Object.assign(o, { path: '/auth', apis: [api('/auth/x')] })),
      'apis[0].path',
      /"\/auth"/,
    );
    expectOptionError(
      withOptions((o) => (o.apis = [api('/api/')])),
      'apis[0].path',
    );
    expectOptionError(
      withOptions((o) => (o.apis = [api('api')])),
      'apis[0].path',
    );
    expectOptionError(
      withOptions((o) => (o.apis = [api('/api/../x')])),
      'apis[0].path',
    );
    expectOptionError(
      withOptions((o) => (o.apis = [api('/api', 'not a url')])),
      'apis[0].target',
    );
    expectOptionError(
      withOptions((o) => (o.apis = [api('/api', 'http://localhost:4001/x?y=1')])),
      'apis[0].target',
    );
    expectOptionError(
      withOptions((o) => (o.apis = [{ ...api('/api'), token: 'admin' }])),
      'apis[0].token',
    );
    expectOptionError(
      withOptions((o) => (o.apis = [{ ...api('/api'), timeout: 0 }])),
      'apis[0].timeout',
    );
  });

  it('apis path: a wildcard is refused (the prefix matches literally, so "/api/*" would never match what it seems to)', () => {
    expectOptionError(
      withOptions((o) => (o.apis = [{ path: '/api/*', target: 'http://localhost:4001/x' }])),
      'apis[0].path',
      /wildcard/,
    );
    expectOptionError(
      withOptions((o) => (o.apis = [{ path: '/api/todos*', target: 'http://localhost:4001/x' }])),
      'apis[0].path',
      /wildcard/,
    );
  });

  it('unknown keys, at the top level and nested, are named', () => {
    const top = errorOf(withOptions((o) => (o.issur = 'https://id.example.com')));
    expect(top.option).toBe('(options)');
    expect(top.message).toContain('"issur"');
    expectOptionError(
      withOptions((o) => (o.session.secure = true)),
      'session',
      /"secure"/,
    );
    expectOptionError(
      withOptions((o) => (o.apis = [{ path: '/api', target: 'http://localhost:1/x', headers: {} }])),
      'apis[0]',
      /"headers"/,
    );
    expectOptionError(
      withOptions((o) => (o.logout = { idTokenHints: true })),
      'logout',
      /"idTokenHints"/,
    );
  });

  it('scope without openid', () => {
    expectOptionError(
      withOptions((o) => (o.scope = 'profile email')),
      'scope',
      /openid/,
    );
    expectOptionError(
      withOptions((o) => (o.scope = 'openidx profile')),
      'scope',
    );
    expectOptionError(
      withOptions((o) => (o.scope = '')),
      'scope',
    );
  });

  it('path, algorithms, numbers, logger', () => {
    expectOptionError(
      withOptions((o) => (o.path = 'bff')),
      'path',
    );
    expectOptionError(
      withOptions((o) => (o.path = '/a/b')),
      'path',
    );
    expectOptionError(
      withOptions((o) => (o.idTokenAlgorithms = ['none'])),
      'idTokenAlgorithms[0]',
      /asymmetric/,
    );
    expectOptionError(
      withOptions((o) => (o.idTokenAlgorithms = ['RS256', 'HS256'])),
      'idTokenAlgorithms[1]',
    );
    expectOptionError(
      withOptions((o) => (o.idTokenAlgorithms = [])),
      'idTokenAlgorithms',
    );
    expectOptionError(
      withOptions((o) => (o.clockTolerance = -1)),
      'clockTolerance',
    );
    expectOptionError(
      withOptions((o) => (o.refreshSkew = 'soon')),
      'refreshSkew',
    );
    expectOptionError(
      withOptions((o) => (o.clientAuthentication = 'client_secret_jwt')),
      'clientAuthentication',
    );
    expectOptionError(
      withOptions((o) => (o.clientAuthentication = 'private_key_jwt')),
      'clientPrivateKey',
      /is required/,
    );
    expectOptionError(
      withOptions((o) => (o.logger = console.log)),
      'logger',
    );
  });
});

describe('createBff validates once, at creation', () => {
  it('throws the BffOptionsError of a wrong option', () => {
    expect(() => createBff(withOptions((o) => (o.session.cookieName = '_session')))).toThrow(BffOptionsError);
    expect(() => createBff(withOptions((o) => (o.session.cookieName = '_session')))).toThrow(/"session\.cookieName"/);
  });

  it('creates a middleware for valid options', async () => {
    const bff = createBff({ ...valid(), logger: silentLogger });
    expect(typeof bff).toBe('function');
    expect(internalsOf(bff).options.session.cookie).toBe('__Host-portcullis');
    await bff.close();
  });
});

import { describe, expect, it } from 'vitest';

import { extractBearerToken, looksLikeJwt } from '../src/bearer.ts';
import { InvalidRequest } from '../src/errors.ts';

const req = (...authorization: string[]) => ({
  rawHeaders: ['Host', 'x', ...authorization.flatMap((value) => ['Authorization', value])],
});

describe('extractBearerToken', () => {
  it('returns the b64token of a Bearer header', () => {
    expect(extractBearerToken(req('Bearer abc.DEF-_~+/=='))).toBe('abc.DEF-_~+/==');
  });

  it('treats the scheme case-insensitively and tolerates extra spaces', () => {
    expect(extractBearerToken(req('bearer tok'))).toBe('tok');
    expect(extractBearerToken(req('BEARER   tok  '))).toBe('tok');
  });

  it('returns undefined without an Authorization header or with another scheme', () => {
    expect(extractBearerToken({ rawHeaders: ['Host', 'x'] })).toBeUndefined();
    expect(extractBearerToken(req('Basic dXNlcjpwYXNz'))).toBeUndefined();
    expect(extractBearerToken(req('DPoP tok'))).toBeUndefined();
  });

  it('matches the header name case-insensitively', () => {
    expect(extractBearerToken({ rawHeaders: ['authorization', 'Bearer tok'] })).toBe('tok');
  });

  it.each([
    ['empty credentials', 'Bearer'],
    ['blank credentials', 'Bearer    '],
    ['two bearers in one header', 'Bearer a, Bearer b'],
    ['two tokens', 'Bearer a b'],
    ['characters outside b64token', 'Bearer a"b'],
    ['padding in the middle', 'Bearer a=b'],
    ['an empty header', ''],
  ])('rejects %s with invalid_request', (_, value) => {
    expect(() => extractBearerToken(req(value))).toThrow(InvalidRequest);
  });

  it('rejects two Authorization headers', () => {
    expect(() => extractBearerToken(req('Bearer a', 'Bearer b'))).toThrow(new InvalidRequest('the request must carry exactly one Authorization header'));
  });

  it('never puts the token in its error messages', () => {
    try {
      extractBearerToken(req('Bearer secret-token-value with-space'));
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('secret-token-value');
    }
  });
});

describe('looksLikeJwt', () => {
  it('is true for exactly three dot-separated parts', () => {
    expect(looksLikeJwt('a.b.c')).toBe(true);
    expect(looksLikeJwt('abc')).toBe(false);
    expect(looksLikeJwt('a.b')).toBe(false);
    expect(looksLikeJwt('a.b.c.d.e')).toBe(false);
  });
});

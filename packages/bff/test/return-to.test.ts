/** The returnTo rule: a same-origin path, or an InvalidRequest (400) before any redirect. */
import { describe, expect, it } from 'vitest';
import { InvalidRequest } from '../src/errors.ts';
import { checkReturnTo, MAX_RETURN_TO_LENGTH } from '../src/return-to.ts';

const ORIGIN = 'https://app.example.com';

describe('checkReturnTo', () => {
  it('defaults to the fallback when absent or empty', () => {
    expect(checkReturnTo(undefined, ORIGIN)).toBe('/');
    expect(checkReturnTo('', ORIGIN)).toBe('/');
    expect(checkReturnTo(undefined, ORIGIN, '/home')).toBe('/home');
  });

  it.each([
    '/',
    '/todos',
    '/todos/42/edit',
    '/todos?filter=open&page=2',
    '/todos#done',
    '/search?q=a%20b',
    '/a/b/',
    '/caf%C3%A9',
    '/.well-known/x',
    '/@user',
    '/a:b',
    '/?next=/x',
    `/${'a'.repeat(MAX_RETURN_TO_LENGTH - 1)}`,
  ])('accepts the same-origin path %s unchanged', (path) => {
    expect(checkReturnTo(path, ORIGIN)).toBe(path);
    expect(new URL(path, ORIGIN).origin).toBe(ORIGIN);
  });

  it.each([
    ['absolute URL', 'https://evil.com'],
    ['absolute URL of the same origin', `${ORIGIN}/todos`],
    ['protocol-relative', '//evil.com'],
    ['three slashes', '///evil.com'],
    ['slash backslash', '/\\evil.com'],
    ['backslash slash', '\\/evil.com'],
    ['backslash backslash', '\\\\evil.com'],
    ['backslash inside', '/a\\b'],
    ['encoded slashes (decoded // is refused)', '/%2F%2Fevil.com'],
    ['encoded slashes, lower case', '/%2f%2fevil.com'],
    ['one encoded slash after the first', '/%2Fevil.com'],
    ['encoded leading slashes', '%2F%2Fevil.com'],
    ['encoded backslash', '/%5Cevil.com'],
    ['encoded backslash, lower case', '/%5cevil.com'],
    ['javascript:', 'javascript:alert(1)'],
    ['JavaScript: mixed case', 'JaVaScRiPt:alert(1)'],
    ['data:', 'data:text/html,x'],
    ['http:/evil (one slash)', 'http:/evil'],
    ['https:evil (no slash)', 'https:evil.com'],
    ['tab between slashes', '/\t/evil.com'],
    ['encoded tab between slashes', '/%09/evil.com'],
    ['newline', '/\n/evil.com'],
    ['encoded newline', '/%0a/evil.com'],
    ['carriage return', '/\r/evil.com'],
    ['NUL', '/\u0000'],
    ['encoded NUL', '/%00'],
    ['DEL', '/\u007f'],
    ['C1 control', '/\u0085/evil.com'],
    ['space', '/ /evil.com'],
    ['leading space', ' /todos'],
    ['relative path', 'todos'],
    ['dot-relative path', './todos'],
    ['parent-relative path', '../todos'],
    ['query only', '?x=1'],
    ['fragment only', '#x'],
    ['double slash inside', '/a//b'],
    ['/http://evil', '/http://evil.com'],
    ['/https:%2F%2Fevil', '/https:%2F%2Fevil.com'],
    ['malformed percent-encoding', '/%E0%A4%A'],
    ['lone percent', '/100%'],
    ['one character over the limit', `/${'a'.repeat(MAX_RETURN_TO_LENGTH)}`],
    ['very long', `/${'a'.repeat(100_000)}`],
  ])('refuses %s', (_name, value) => {
    expect(() => checkReturnTo(value, ORIGIN)).toThrow(InvalidRequest);
    try {
      checkReturnTo(value, ORIGIN);
    } catch (err) {
      expect((err as InvalidRequest).status).toBe(400);
      expect((err as InvalidRequest).code).toBe('invalid_request');
      // The description never echoes the value.
      expect((err as InvalidRequest).message).not.toContain('evil');
    }
  });

  it('limits the length to 2048', () => {
    expect(MAX_RETURN_TO_LENGTH).toBe(2048);
  });
});

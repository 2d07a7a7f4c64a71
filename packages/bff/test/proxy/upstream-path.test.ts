/** pathBelow: the part of a request path below a route prefix, refused when it could climb out. */
import { describe, expect, it } from 'vitest';
import { InvalidRequest } from '../../src/errors.ts';
import { pathBelow } from '../../src/proxy/upstream-path.ts';

const PREFIX = '/api/todos';

describe('pathBelow', () => {
  it.each([
    ['/api/todos', ''],
    ['/api/todos/', '/'],
    ['/api/todos/42', '/42'],
    ['/api/todos/42/items/7', '/42/items/7'],
    ['/api/todos/a.b', '/a.b'],
    ['/api/todos/...', '/...'],
    ['/api/todos/..a', '/..a'],
    ['/api/todos/a..', '/a..'],
    ['/api/todos/.hidden', '/.hidden'],
    ['/api/todos/caf%C3%A9', '/caf%C3%A9'],
    ['/api/todos/a%20b', '/a%20b'],
    ['/api/todos/a%25', '/a%25'],
    ['/api/todos/42/', '/42/'],
  ])('%s → %j (unchanged, not normalised)', (path, rest) => {
    expect(pathBelow(path, PREFIX)).toBe(rest);
  });

  it.each([
    '/api/todos/..;/admin',
    '/api/todos/.;x/admin',
    '/api/todos/..;jsessionid=1',
    '/api/todos/..',
    '/api/todos/../admin',
    '/api/todos/42/../../admin',
    '/api/todos/.',
    '/api/todos/./x',
    '/api/todos//x',
    '/api/todos/x//y',
    '/api/todos//',
    '/api/todos/%2e%2e/admin',
    '/api/todos/%2E%2E/admin',
    '/api/todos/.%2e/admin',
    '/api/todos/%2e./admin',
    '/api/todos/%2e',
    '/api/todos/..%2fadmin',
    '/api/todos/..%2Fadmin',
    '/api/todos/a%2fb',
    '/api/todos/..%5cadmin',
    '/api/todos/..%5Cadmin',
    '/api/todos/..\\admin',
    '/api/todos/\\',
    '/api/todos/x%00',
    '/api/todos%2f..',
    '/api/todos%2F..%2Fadmin',
    '/api/todos%5c..',
    '/api/todosx',
    '/api/todos..',
  ])('refuses %s with 400 invalid_request', (path) => {
    expect(() => pathBelow(path, PREFIX)).toThrow(InvalidRequest);
    try {
      pathBelow(path, PREFIX);
    } catch (err) {
      expect((err as InvalidRequest).status).toBe(400);
    }
  });

  it('works for a one-segment prefix too', () => {
    expect(pathBelow('/api/x', '/api')).toBe('/x');
    expect(() => pathBelow('/api/../x', '/api')).toThrow(InvalidRequest);
  });
});

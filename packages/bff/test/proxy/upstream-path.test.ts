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

  it('refuses exactly what the segment-by-segment rule refuses, for every path of up to 7 characters over "/", ".", ";", "a"', () => {
    // The rule as first written (split into segments), kept here as the reference for the single regex.
    const refusedBySegments = (rest: string): boolean => {
      const segments = rest.split('/').slice(1);
      return segments.some((s, i) => ['.', '..'].includes(s.split(';', 1)[0]!) || (s === '' && i < segments.length - 1));
    };
    const paths = [''];
    for (let length = 1, last = ['']; length <= 7; length++) {
      last = last.flatMap((p) => ['/', '.', ';', 'a'].map((c) => p + c));
      paths.push(...last.filter((p) => p.startsWith('/')));
    }
    let refused = 0;
    for (const rest of paths) {
      const expected = refusedBySegments(rest);
      refused += Number(expected);
      expect({ rest, refused: !pathBelowOk(PREFIX + rest) }).toEqual({ rest, refused: expected });
    }
    expect(refused).toBeGreaterThan(1000);
    expect(paths.length - refused).toBeGreaterThan(1000);
  });

  it('works for a one-segment prefix too', () => {
    expect(pathBelow('/api/x', '/api')).toBe('/x');
    expect(() => pathBelow('/api/../x', '/api')).toThrow(InvalidRequest);
  });
});

function pathBelowOk(path: string): boolean {
  try {
    pathBelow(path, PREFIX);
    return true;
  } catch (err) {
    if (!(err instanceof InvalidRequest)) throw err;
    return false;
  }
}

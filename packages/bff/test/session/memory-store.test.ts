/** The default store: TTLs, an LRU bound, the sid/sub index, single-use take. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemorySessionStore } from '../../src/session/memory-store.ts';

let store: MemorySessionStore;

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
});
afterEach(() => {
  store?.close();
  vi.useRealTimers();
});

describe('MemorySessionStore: records and TTL', () => {
  it('returns what was set, as a copy the caller cannot mutate into the store', async () => {
    store = new MemorySessionStore();
    const record = { auth: { sub: 'alice' }, list: [1] };
    await store.set('a', record, 60_000);
    record.list.push(2);
    const read = (await store.get('a'))!;
    expect(read).toEqual({ auth: { sub: 'alice' }, list: [1] });
    (read['list'] as number[]).push(3);
    expect(await store.get('a')).toEqual({ auth: { sub: 'alice' }, list: [1] });
    expect(await store.get('missing')).toBeUndefined();
  });

  it('hands out independent deep copies (nested objects too, take included) of what went through JSON', async () => {
    store = new MemorySessionStore();
    await store.set('a', { auth: { sub: 'alice', claims: { groups: ['x'] }, tokens: 'jwe' }, at: new Date(0), gone: undefined }, 60_000);
    const first = (await store.get('a')) as { auth: { claims: { groups: string[] }; tokens: unknown }; v?: string };
    expect(first).toEqual({ auth: { sub: 'alice', claims: { groups: ['x'] }, tokens: 'jwe' }, at: '1970-01-01T00:00:00.000Z' });
    expect(Object.isFrozen(first) || Object.isFrozen(first.auth)).toBe(false);
    first.auth.tokens = { accessToken: 'clear' };
    first.auth.claims.groups.push('y');
    first.v = 'changed';
    const second = await store.get('a');
    expect(second).toEqual({ auth: { sub: 'alice', claims: { groups: ['x'] }, tokens: 'jwe' }, at: '1970-01-01T00:00:00.000Z' });
    expect(second).not.toBe(first);
    const taken = (await store.take('a')) as { auth: { sub: string } };
    taken.auth.sub = 'mallory';
    expect(taken.auth.sub).toBe('mallory');
  });

  it('keeps a "__proto__" key as an own property, as JSON.parse does', async () => {
    store = new MemorySessionStore();
    await store.set('a', JSON.parse('{"claims":{"__proto__":{"admin":true}}}') as Record<string, unknown>, 60_000);
    const read = (await store.get('a')) as { claims: Record<string, unknown> };
    expect(Object.getPrototypeOf(read.claims)).toBe(Object.prototype);
    expect(Object.keys(read.claims)).toEqual(['__proto__']);
    expect((read.claims as { admin?: boolean }).admin).toBeUndefined();
  });

  it('expires a record after its TTL (get, take and findIds all see it gone)', async () => {
    store = new MemorySessionStore();
    await store.set('a', { n: 1 }, 1000, { sub: 'alice', sid: 's1' });
    vi.advanceTimersByTime(999);
    expect(await store.get('a')).toEqual({ n: 1 });
    expect(await store.findIds({ sub: 'alice' })).toEqual(['a']);
    vi.advanceTimersByTime(1);
    expect(await store.findIds({ sub: 'alice' })).toEqual([]);
    expect(await store.findIds({ sid: 's1' })).toEqual([]);
    expect(await store.take('a')).toBeUndefined();
    expect(await store.get('a')).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('replaces the TTL on set (a sliding session)', async () => {
    store = new MemorySessionStore();
    await store.set('a', { n: 1 }, 1000);
    vi.advanceTimersByTime(800);
    await store.set('a', { n: 2 }, 1000);
    vi.advanceTimersByTime(800);
    expect(await store.get('a')).toEqual({ n: 2 });
  });

  it('sweeps expired records on its timer, and sweep() does it at once', async () => {
    store = new MemorySessionStore({ sweepInterval: 10_000 });
    await store.set('short', {}, 1000);
    await store.set('long', {}, 60_000);
    vi.advanceTimersByTime(1000);
    expect(store.size).toBe(2); // lingering until a sweep
    vi.advanceTimersByTime(9000);
    expect(store.size).toBe(1);
    await store.set('short2', {}, 10);
    vi.advanceTimersByTime(10);
    store.sweep();
    expect(store.size).toBe(1);
    expect(await store.get('long')).toEqual({});
  });

  it('destroy removes the record and its index entries; destroying an absent id is fine', async () => {
    store = new MemorySessionStore();
    await store.set('a', {}, 60_000, { sub: 'alice', sid: 's1' });
    await store.destroy('a');
    await store.destroy('a');
    await store.destroy('never');
    expect(await store.get('a')).toBeUndefined();
    expect(await store.findIds({ sub: 'alice' })).toEqual([]);
    expect(await store.findIds({ sid: 's1' })).toEqual([]);
  });
});

describe('MemorySessionStore: LRU bound', () => {
  it('keeps at most maxEntries, dropping the least recently used first', async () => {
    store = new MemorySessionStore({ maxEntries: 3 });
    await store.set('a', {}, 60_000);
    await store.set('b', {}, 60_000);
    await store.set('c', {}, 60_000);
    await store.get('a'); // a is now the most recently used
    await store.set('d', {}, 60_000);
    expect(store.size).toBe(3);
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toBeDefined();
    expect(await store.get('c')).toBeDefined();
    expect(await store.get('d')).toBeDefined();
  });

  it('counts a re-set as a use, and drops the evicted record from the index', async () => {
    store = new MemorySessionStore({ maxEntries: 2 });
    await store.set('a', {}, 60_000, { sub: 'alice' });
    await store.set('b', {}, 60_000, { sub: 'bob' });
    await store.set('a', { again: true }, 60_000, { sub: 'alice' });
    await store.set('c', {}, 60_000, { sub: 'carol' });
    expect(await store.get('b')).toBeUndefined();
    expect(await store.findIds({ sub: 'bob' })).toEqual([]);
    expect(await store.findIds({ sub: 'alice' })).toEqual(['a']);
    expect(store.size).toBe(2);
  });

  it('never evicts a session for a login state, nor a login state for a session: each kind has its own budget', async () => {
    store = new MemorySessionStore({ maxEntries: 3 });
    await store.set('session', {}, 60_000, { sub: 'alice', sid: 'p' });
    for (let i = 0; i < 10; i++) await store.set(`state:${i}`, {}, 60_000);
    // Login states are bounded by their own budget (maxUnindexed, default maxEntries): the oldest went.
    expect(store.size).toBe(4);
    expect(await store.findIds({ sub: 'alice' })).toEqual(['session']);
    expect(await store.get('state:9')).toBeDefined();
    expect(await store.get('state:7')).toBeDefined();
    expect(await store.get('state:6')).toBeUndefined();
    expect(store.unindexedEvictions).toBe(7);
    // Sessions filling up never push out the login states (or markers) just written.
    for (let i = 0; i < 10; i++) await store.set(`s${i}`, {}, 60_000, { sub: `u${i}` });
    for (const id of ['state:7', 'state:8', 'state:9']) expect(await store.get(id)).toBeDefined();
    expect(store.size).toBe(6);
    expect(store.evictions).toBe(8); // 'session' + s0..s6
  });

  it('never evicts the record being written, whatever the budget', async () => {
    store = new MemorySessionStore({ maxEntries: 1, maxUnindexed: 1 });
    await store.set('a', { n: 1 }, 60_000, { sub: 'alice' });
    await store.set('b', { n: 2 }, 60_000, { sub: 'bob' });
    expect(await store.get('b')).toEqual({ n: 2 });
    await store.set('state:1', {}, 60_000);
    expect(await store.add('jti:1', {}, 60_000)).toBe(true);
    expect(await store.get('jti:1')).toEqual({});
    expect(await store.get('b')).toEqual({ n: 2 });
    // Ending a session (a tombstone under its id, without index) keeps the tombstone.
    await store.set('b', { ended: 1 }, 60_000);
    expect(await store.get('b')).toEqual({ ended: 1 });
    expect(await store.findIds({ sub: 'bob' })).toEqual([]);
  });

  it('a login flood stays bounded by maxUnindexed', async () => {
    store = new MemorySessionStore({ maxEntries: 10, maxUnindexed: 50 });
    for (let i = 0; i < 1000; i++) await store.set(`state:${i}`, { i }, 60_000);
    expect(store.size).toBe(50);
    expect(await store.get('state:999')).toEqual({ i: 999 });
    expect(await store.get('state:949')).toBeUndefined();
  });

  it('logs session evictions as a warning at most once a minute, with the count since the last line', async () => {
    const lines: Array<{ fields: Record<string, unknown>; msg: string }> = [];
    store = new MemorySessionStore({ maxEntries: 2, logger: { warn: (fields, msg) => lines.push({ fields, msg }) } });
    for (let i = 0; i < 5; i++) await store.set(`s${i}`, { secret: 'never-logged' }, 3_600_000, { sub: `u${i}` });
    expect(store.evictions).toBe(3);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.fields).toMatchObject({ evicted: 1, evictedTotal: 1, limit: 2 });
    expect(lines[0]!.msg).toMatch(/session store full/);
    vi.advanceTimersByTime(59_000);
    await store.set('s5', {}, 3_600_000, { sub: 'u5' });
    expect(lines).toHaveLength(1);
    vi.advanceTimersByTime(1_000); // the sweep timer writes what is due
    expect(lines).toHaveLength(2);
    expect(lines[1]!.fields).toMatchObject({ evicted: 3, evictedTotal: 4 });
    expect(JSON.stringify(lines)).not.toContain('never-logged');
    expect(JSON.stringify(lines)).not.toMatch(/"s\d"|u\d/); // no session ids nor users either
  });

  it('stays bounded under many writes', async () => {
    store = new MemorySessionStore({ maxEntries: 100 });
    for (let i = 0; i < 1000; i++) await store.set(`id${i}`, { i }, 60_000, { sub: `user${i % 7}` });
    expect(store.size).toBe(100);
    expect(await store.get('id999')).toEqual({ i: 999 });
    expect(await store.get('id899')).toBeUndefined();
    const indexed = (await Promise.all(Array.from({ length: 7 }, (_, u) => store.findIds({ sub: `user${u}` })))).flat();
    expect(indexed).toHaveLength(100);
  });
});

describe('MemorySessionStore: index', () => {
  it('finds ids by sid and by sub', async () => {
    store = new MemorySessionStore();
    await store.set('a1', {}, 60_000, { sub: 'alice', sid: 'op-1' });
    await store.set('a2', {}, 60_000, { sub: 'alice', sid: 'op-2' });
    await store.set('b1', {}, 60_000, { sub: 'bob', sid: 'op-1' });
    await store.set('anon', {}, 60_000);
    expect((await store.findIds({ sub: 'alice' })).sort()).toEqual(['a1', 'a2']);
    expect((await store.findIds({ sid: 'op-1' })).sort()).toEqual(['a1', 'b1']);
    expect(await store.findIds({ sid: 'op-2' })).toEqual(['a2']);
    // sid and sub together: both must match.
    expect(await store.findIds({ sid: 'op-1', sub: 'alice' })).toEqual(['a1']);
    expect(await store.findIds({ sid: 'op-2', sub: 'bob' })).toEqual([]);
    expect(await store.findIds({ sub: 'nobody' })).toEqual([]);
    expect(await store.findIds({})).toEqual([]);
  });

  it("replaces a record's index entries when it is set again", async () => {
    store = new MemorySessionStore();
    await store.set('a', {}, 60_000, { sub: 'alice', sid: 'op-1' });
    await store.set('a', {}, 60_000, { sub: 'alice', sid: 'op-2' });
    expect(await store.findIds({ sid: 'op-1' })).toEqual([]);
    expect(await store.findIds({ sid: 'op-2' })).toEqual(['a']);
    await store.set('a', {}, 60_000);
    expect(await store.findIds({ sub: 'alice' })).toEqual([]);
    expect(await store.findIds({ sid: 'op-2' })).toEqual([]);
  });
});

describe('MemorySessionStore: add and setIf', () => {
  it('add stores only when nothing (live) is stored', async () => {
    store = new MemorySessionStore();
    expect(await store.add('jti:1', { at: 1 }, 1000)).toBe(true);
    expect(await store.add('jti:1', { at: 2 }, 1000)).toBe(false);
    expect(await store.get('jti:1')).toEqual({ at: 1 });
    vi.advanceTimersByTime(1000);
    expect(await store.add('jti:1', { at: 3 }, 1000)).toBe(true);
    expect(await store.get('jti:1')).toEqual({ at: 3 });
  });

  it('of many concurrent adds, exactly one wins', async () => {
    store = new MemorySessionStore();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.add('jti:x', { i }, 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('setIf(null) creates only when nothing is stored; setIf(v) replaces only that version', async () => {
    store = new MemorySessionStore();
    expect(await store.setIf('a', { v: '1', n: 1 }, 60_000, { sub: 'alice' }, null)).toBe(true);
    expect(await store.setIf('a', { v: 'x' }, 60_000, undefined, null)).toBe(false);
    expect(await store.setIf('a', { v: '2', n: 2 }, 60_000, { sub: 'alice', sid: 'p' }, '0')).toBe(false);
    expect(await store.get('a')).toEqual({ v: '1', n: 1 });
    expect(await store.setIf('a', { v: '2', n: 2 }, 60_000, { sub: 'alice', sid: 'p' }, '1')).toBe(true);
    expect(await store.get('a')).toEqual({ v: '2', n: 2 });
    expect(await store.findIds({ sid: 'p' })).toEqual(['a']);
    // Nothing stored: a version never matches.
    expect(await store.setIf('none', { v: '1' }, 60_000, undefined, '1')).toBe(false);
    expect(await store.get('none')).toBeUndefined();
  });

  it('a tombstone (a record without v) never matches a version, and is not absent either', async () => {
    store = new MemorySessionStore();
    await store.set('a', { ended: 123 }, 60_000);
    expect(await store.setIf('a', { v: '1' }, 60_000, { sub: 'alice' }, null)).toBe(false);
    expect(await store.setIf('a', { v: '1' }, 60_000, { sub: 'alice' }, 'undefined')).toBe(false);
    expect(await store.setIf('a', { v: '1' }, 60_000, { sub: 'alice' }, '')).toBe(false);
    await store.set('b', { v: 7 }, 60_000); // a non-string v is no version
    expect(await store.setIf('b', { v: '8' }, 60_000, undefined, '7')).toBe(false);
    expect(await store.get('a')).toEqual({ ended: 123 });
  });

  it('an expired record counts as nothing stored', async () => {
    store = new MemorySessionStore();
    await store.setIf('a', { v: '1' }, 1000, { sub: 'alice' }, null);
    vi.advanceTimersByTime(1000);
    expect(await store.setIf('a', { v: '2' }, 1000, { sub: 'alice' }, '1')).toBe(false);
    expect(await store.setIf('a', { v: '2' }, 1000, { sub: 'alice' }, null)).toBe(true);
  });

  it('two setIf racing on the same expected version: exactly one wins', async () => {
    store = new MemorySessionStore();
    await store.set('a', { v: '1' }, 60_000, { sub: 'alice' });
    const results = await Promise.all([store.setIf('a', { v: '2a' }, 60_000, { sub: 'alice' }, '1'), store.setIf('a', { v: '2b' }, 60_000, { sub: 'alice' }, '1')]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.get('a')).toEqual({ v: results[0] ? '2a' : '2b' });
  });

  it('roundTrip is a no-op that resolves', async () => {
    store = new MemorySessionStore();
    await expect(store.roundTrip()).resolves.toBeUndefined();
  });
});

describe('MemorySessionStore: take', () => {
  it('is single use: the first take gets the record, every later one nothing', async () => {
    store = new MemorySessionStore();
    await store.set('state:x', { v: 1 }, 60_000, { sub: 'alice' });
    expect(await store.take('state:x')).toEqual({ v: 1 });
    expect(await store.take('state:x')).toBeUndefined();
    expect(await store.get('state:x')).toBeUndefined();
    expect(await store.findIds({ sub: 'alice' })).toEqual([]);
  });

  it('gives the record to exactly one of many concurrent takers', async () => {
    store = new MemorySessionStore();
    await store.set('state:y', { v: 2 }, 60_000);
    const results = await Promise.all(Array.from({ length: 20 }, () => store.take('state:y')));
    expect(results.filter((r) => r !== undefined)).toEqual([{ v: 2 }]);
  });
});

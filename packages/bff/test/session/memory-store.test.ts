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

  it('evicts records without an index (login states) before signed-in sessions', async () => {
    store = new MemorySessionStore({ maxEntries: 3 });
    await store.set('session', {}, 60_000, { sub: 'alice', sid: 'p' });
    for (let i = 0; i < 10; i++) await store.set(`state:${i}`, {}, 60_000);
    expect(store.size).toBe(3);
    expect(await store.findIds({ sub: 'alice' })).toEqual(['session']);
    expect(await store.get('state:9')).toBeDefined();
    expect(await store.get('state:0')).toBeUndefined();
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

  it('replaces a record\'s index entries when it is set again', async () => {
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

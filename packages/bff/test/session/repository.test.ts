/** SessionRepository: tokens encrypted in the store, the decrypted-token cache never stale. */
import { describe, expect, it } from 'vitest';
import { TokenCipher } from '../../src/session/crypto.ts';
import { MemorySessionStore } from '../../src/session/memory-store.ts';
import { SessionRepository } from '../../src/session/repository.ts';

const auth = (accessToken: string) => ({ sub: 'alice', sid: 'p1', claims: {}, logoutId: 'l', createdAt: 1, tokens: { accessToken, idToken: 'id', expiresAt: 2 } });

describe('SessionRepository', () => {
  it('stores the tokens as a JWE and indexes the record by sub and sid', async () => {
    const store = new MemorySessionStore();
    const repository = new SessionRepository(store, new TokenCipher(['k'.repeat(32)]));
    await repository.set('s1', { auth: auth('AT-1') }, 60_000);
    const raw = (await store.get('s1'))!;
    expect(JSON.stringify(raw)).not.toContain('AT-1');
    expect(await store.findIds({ sid: 'p1' })).toEqual(['s1']);
    expect(((await repository.get('s1'))!['auth'] as { tokens: { accessToken: string } }).tokens.accessToken).toBe('AT-1');
    store.close();
  });

  it('never serves cached tokens once another writer (another instance) changed the record', async () => {
    const store = new MemorySessionStore();
    const cipher = new TokenCipher(['k'.repeat(32)]);
    const mine = new SessionRepository(store, cipher);
    const theirs = new SessionRepository(store, cipher);
    await mine.set('s1', { auth: auth('AT-1') }, 60_000);
    await mine.get('s1');
    const record = (await theirs.get('s1'))!;
    expect(await theirs.set('s1', { ...record, auth: auth('AT-2') }, 60_000)).toBe(true);
    expect(((await mine.get('s1'))!['auth'] as { tokens: { accessToken: string } }).tokens.accessToken).toBe('AT-2');
    store.close();
  });

  it('hands out copies: changing a returned record does not change the cache', async () => {
    const store = new MemorySessionStore();
    const repository = new SessionRepository(store, new TokenCipher(['k'.repeat(32)]));
    await repository.set('s1', { auth: auth('AT-1') }, 60_000);
    const first = (await repository.get('s1'))!['auth'] as { tokens: { accessToken: string } };
    first.tokens.accessToken = 'changed';
    expect(((await repository.get('s1'))!['auth'] as { tokens: { accessToken: string } }).tokens.accessToken).toBe('AT-1');
    store.close();
  });

  describe('compare-and-set writes', () => {
    const setup = () => {
      const store = new MemorySessionStore();
      const cipher = new TokenCipher(['k'.repeat(32)]);
      return { store, one: new SessionRepository(store, cipher), two: new SessionRepository(store, cipher) };
    };
    const accessTokenOf = async (repository: SessionRepository, id: string) => ((await repository.get(id))?.['auth'] as { tokens: { accessToken: string } } | undefined)?.tokens.accessToken;

    it('a write based on a record that changed meanwhile changes nothing (a stale idle renewal cannot bring back a rotated token)', async () => {
      const { store, one, two } = setup();
      await one.set('s1', { auth: auth('AT-1') }, 60_000);
      const stale = (await one.get('s1'))!;
      const fresh = (await two.get('s1'))!;
      expect(await two.set('s1', { ...fresh, auth: auth('AT-2') }, 60_000)).toBe(true);
      expect(await one.set('s1', { ...stale, _expire: Date.now() + 1 }, 60_000)).toBe(false);
      expect(await accessTokenOf(one, 's1')).toBe('AT-2');
      store.close();
    });

    it('a write of a session ended meanwhile throws SessionExpired and writes nothing', async () => {
      const { store, one, two } = setup();
      await one.set('s1', { auth: auth('AT-1') }, 60_000);
      const inFlight = (await one.get('s1'))!;
      await two.destroy('s1');
      await expect(one.set('s1', { ...inFlight, auth: auth('AT-2') }, 60_000)).rejects.toMatchObject({ code: 'session_expired' });
      expect(await store.get('s1')).toBeUndefined();
      expect(await store.findIds({ sub: 'alice' })).toEqual([]);
      store.close();
    });

    it('a new record is created only where nothing is stored', async () => {
      const { store, one } = setup();
      expect(await one.set('s1', { auth: auth('AT-1') }, 60_000)).toBe(true);
      expect(await one.set('s1', { auth: auth('AT-X') }, 60_000)).toBe(false);
      expect(await accessTokenOf(one, 's1')).toBe('AT-1');
      store.close();
    });

    it('update applies its change to the newest record, again after a concurrent write', async () => {
      const { store, one, two } = setup();
      await one.set('s1', { auth: auth('AT-1'), _expire: 1 }, 60_000);
      let rounds = 0;
      const written = await one.update(
        's1',
        (current) => {
          rounds++;
          // The first round loses a race against another instance's idle renewal.
          if (rounds === 1) void two.get('s1').then((r) => two.set('s1', { ...r!, _expire: 2 }, 60_000));
          return { ...current, auth: { ...current.auth, tokens: { ...current.auth.tokens, accessToken: 'AT-2' } } };
        },
        () => 60_000,
      );
      expect(written['_expire']).toBeGreaterThanOrEqual(1);
      expect(await accessTokenOf(one, 's1')).toBe('AT-2');
      store.close();
    });

    it('update of a session that is gone throws SessionExpired', async () => {
      const { store, one } = setup();
      await expect(
        one.update(
          'nope',
          (c) => c,
          () => 60_000,
        ),
      ).rejects.toMatchObject({ code: 'session_expired' });
      store.close();
    });

    it('a record written before versions existed is written once without condition, then versioned', async () => {
      const { store, one } = setup();
      const cipher = new TokenCipher(['k'.repeat(32)]);
      await store.set('s1', { auth: { ...auth('x'), tokens: await cipher.encrypt(auth('AT-0').tokens) } }, 60_000, { sub: 'alice' });
      const legacy = (await one.get('s1'))!;
      expect(await one.set('s1', { ...legacy, auth: auth('AT-1') }, 60_000)).toBe(true);
      expect((await store.get('s1'))!['v']).toMatch(/^[A-Za-z0-9_-]{16}$/);
      // From now on writes are conditional: one based on the versioned record wins, a stale one loses.
      const versioned = (await one.get('s1'))!;
      expect(await one.set('s1', { ...versioned, auth: auth('AT-2') }, 60_000)).toBe(true);
      expect(await one.set('s1', { ...versioned, auth: auth('AT-3') }, 60_000)).toBe(false);
      store.close();
    });
  });
});

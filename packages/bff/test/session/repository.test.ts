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
    await theirs.set('s1', { auth: auth('AT-2') }, 60_000);
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
});

/**
 * renewClaims: after a refresh, userinfo's claims (under a refreshed ID
 * token's) replace the session's shown claims; a failing userinfo, a record
 * gone meanwhile or a provider without userinfo change nothing and throw
 * nothing (it runs in the background of a proxied call).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TemporarilyUnavailable } from '../../src/errors.ts';
import { silentLogger } from '../../src/logger.ts';
import { TokenCipher } from '../../src/session/crypto.ts';
import { MemorySessionStore } from '../../src/session/memory-store.ts';
import { SessionRepository } from '../../src/session/repository.ts';
import type { SessionRecord } from '../../src/session/store.ts';
import type { UserSession } from '../../src/session/user-session.ts';
import { renewClaims } from '../../src/tokens/refreshed-claims.ts';

const stores: MemorySessionStore[] = [];
afterEach(() => stores.splice(0).forEach((s) => s.close()));

async function setup(userinfo: () => Promise<Record<string, unknown> | undefined>) {
  const store = new MemorySessionStore({ logger: silentLogger });
  stores.push(store);
  const repository = new SessionRepository(store, new TokenCipher(['k'.repeat(32)]));
  const tokens = { accessToken: 'AT-1', idToken: 'id', expiresAt: Math.floor(Date.now() / 1000) + 300 };
  const auth: UserSession = { sub: 'alice', claims: { sub: 'alice', name: 'Old', email: 'a@example.com' }, logoutId: 'l', createdAt: Date.now(), tokens };
  await repository.set('s1', { auth, _expire: Date.now() + 60_000 } as SessionRecord, 60_000);
  const calls: unknown[][] = [];
  const deps = {
    provider: { userinfo: async (...args: unknown[]) => (calls.push(args), userinfo()) },
    repository,
    logger: silentLogger,
    shown: (claims: Readonly<Record<string, unknown>>) => ({ ...claims }),
  };
  const claims = async () => ((await repository.get('s1'))?.['auth'] as UserSession | undefined)?.claims;
  return { deps, tokens, claims, calls, repository };
}

describe('renewClaims', () => {
  it('merges userinfo under the refreshed ID token claims, asking with the new access token', async () => {
    const { deps, tokens, claims, calls } = await setup(async () => ({ sub: 'alice', name: 'New', picture: 'p.png' }));
    await renewClaims(deps, { id: 's1', sub: 'alice', tokens, idTokenClaims: { sub: 'alice', name: 'From ID token' } });
    expect(await claims()).toEqual({ sub: 'alice', name: 'From ID token', email: 'a@example.com', picture: 'p.png' });
    expect(calls[0]).toEqual([{ scheme: 'Bearer', token: 'AT-1' }, 'alice']);
  });

  it('keeps the claims when userinfo fails, is absent, or the session ended; never throws', async () => {
    for (const userinfo of [async () => Promise.reject(new TemporarilyUnavailable()), async () => undefined]) {
      const { deps, tokens, claims } = await setup(userinfo);
      await expect(renewClaims(deps, { id: 's1', sub: 'alice', tokens, idTokenClaims: undefined })).resolves.toBeUndefined();
      expect(await claims()).toEqual({ sub: 'alice', name: 'Old', email: 'a@example.com' });
    }
    const { deps, tokens, repository } = await setup(async () => ({ sub: 'alice', name: 'New' }));
    await repository.destroy('s1');
    await expect(renewClaims(deps, { id: 's1', sub: 'alice', tokens, idTokenClaims: undefined })).resolves.toBeUndefined();
    expect(await repository.get('s1')).toBeUndefined();
  });
});

/**
 * TokenManager with a fake provider and a switchable store: single-flight
 * refresh, riding out a provider outage on a valid token, rotated tokens held
 * until the store takes them, and sessions ended during a refresh.
 */
import { ErrorResponse } from 'oidc-client-ts';
import { afterEach, describe, expect, it } from 'vitest';
import { SessionExpired, TemporarilyUnavailable } from '../../src/errors.ts';
import { silentLogger } from '../../src/logger.ts';
import type { ProviderTokens } from '../../src/protocol/provider-client.ts';
import { TokenCipher } from '../../src/session/crypto.ts';
import { MemorySessionStore } from '../../src/session/memory-store.ts';
import { SessionRepository } from '../../src/session/repository.ts';
import type { SessionRecord } from '../../src/session/store.ts';
import type { TokenSet, UserSession } from '../../src/session/user-session.ts';
import { TokenManager, type SignedInSession } from '../../src/tokens/token-manager.ts';

/** The access token the manager hands out for `session` (refreshed when due). */
const accessToken = async (manager: TokenManager, session: SignedInSession): Promise<string> => (await manager.userTokens(session)).accessToken;

const now = () => Math.floor(Date.now() / 1000);

/** A memory store whose writes (or everything) can fail like an unreachable Redis. */
class FlakyStore extends MemorySessionStore {
  writesDown = false;
  override async setIf(...args: Parameters<MemorySessionStore['setIf']>): Promise<boolean> {
    if (this.writesDown) throw new TemporarilyUnavailable('store down');
    return super.setIf(...args);
  }
}

class FakeProvider {
  grants = 0;
  revoked: string[] = [];
  fail: unknown;
  delayMs = 0;
  onGrant: () => Promise<void> = async () => {};
  async refresh(refreshToken: string, sub: string): Promise<ProviderTokens> {
    this.grants++;
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.fail) throw this.fail;
    await this.onGrant();
    const n = this.grants;
    return {
      accessToken: `AT-${n}`,
      tokenType: 'Bearer',
      refreshToken: `RT-${n}`,
      idToken: undefined,
      expiresAt: now() + 300,
      scope: undefined,
      refreshExpiresAt: undefined,
      claims: { sub },
      dpopKey: undefined,
    };
  }
  async revoke(token: string): Promise<boolean> {
    this.revoked.push(token);
    return true;
  }
}

const stores: MemorySessionStore[] = [];
const managers: TokenManager[] = [];
afterEach(() => {
  stores.splice(0).forEach((s) => s.close());
  managers.splice(0).forEach((m) => m.close());
});

async function setup(tokens: Partial<TokenSet> = {}) {
  const store = new FlakyStore();
  stores.push(store);
  const repository = new SessionRepository(store, new TokenCipher(['k'.repeat(32)]));
  const provider = new FakeProvider();
  const manager = new TokenManager({ provider, repository, store, logger: silentLogger, refreshSkew: 60 });
  managers.push(manager);
  const auth: UserSession = {
    sub: 'alice',
    claims: {},
    logoutId: 'l',
    createdAt: Date.now(),
    tokens: { accessToken: 'AT-0', refreshToken: 'RT-0', idToken: 'id', expiresAt: now() - 1, issuedAt: now() - 3600, ...tokens },
  };
  await repository.set('s1', { auth, _expire: Date.now() + 60_000 } as SessionRecord, 60_000);
  const session = async () => ({ id: 's1', auth: (await repository.get('s1'))!['auth'] as UserSession });
  return { store, repository, provider, manager, session };
}

describe('TokenManager', () => {
  it('does not refresh a token outside the skew', async () => {
    const { provider, manager, session } = await setup({ expiresAt: now() + 3600, issuedAt: now() });
    expect(await accessToken(manager, await session())).toBe('AT-0');
    expect(provider.grants).toBe(0);
  });

  it('refreshes once for 20 concurrent calls and stores the rotated refresh token', async () => {
    const { provider, manager, session, repository } = await setup();
    provider.delayMs = 20;
    const tokens = await Promise.all(Array.from({ length: 20 }, async () => accessToken(manager, await session())));
    expect(new Set(tokens)).toEqual(new Set(['AT-1']));
    expect(provider.grants).toBe(1);
    expect(((await repository.get('s1'))!['auth'] as UserSession).tokens.refreshToken).toBe('RT-1');
  });

  it('provider unreachable, token still valid: the call goes on with it, and a backoff spares the provider', async () => {
    const { provider, manager, session } = await setup({ expiresAt: now() + 30 });
    provider.fail = new TypeError('fetch failed');
    expect(await accessToken(manager, await session())).toBe('AT-0');
    expect(await accessToken(manager, await session())).toBe('AT-0');
    expect(provider.grants).toBe(1);
  });

  it('provider unreachable, token expired: 503, session kept', async () => {
    const { provider, manager, session, repository } = await setup();
    provider.fail = new TypeError('fetch failed');
    await expect(accessToken(manager, await session())).rejects.toBeInstanceOf(TemporarilyUnavailable);
    expect(await repository.get('s1')).toBeDefined();
  });

  it('a provider error other than invalid_grant with a valid token carries on; invalid_grant ends the session', async () => {
    const { provider, manager, session } = await setup({ expiresAt: now() + 30 });
    provider.fail = new ErrorResponse({ error: 'server_error' } as never);
    expect(await accessToken(manager, await session())).toBe('AT-0');
    const second = await setup();
    second.provider.fail = new ErrorResponse({ error: 'invalid_grant' } as never);
    await expect(accessToken(second.manager, await second.session())).rejects.toBeInstanceOf(SessionExpired);
  });

  it('store down after the provider answered: the new token is used, held, and stored once the store is back', async () => {
    const { store, provider, manager, session, repository } = await setup();
    provider.onGrant = async () => {
      store.writesDown = true;
    };
    expect(await accessToken(manager, await session())).toBe('AT-1');
    expect(manager.unsavedCount).toBe(1);
    // Another call meanwhile reads the old record, but uses the held tokens: no second grant with the dead RT-0.
    expect(await accessToken(manager, await session())).toBe('AT-1');
    expect(provider.grants).toBe(1);
    store.writesDown = false;
    await expect.poll(async () => ((await repository.get('s1'))!['auth'] as UserSession).tokens.refreshToken, { timeout: 3000 }).toBe('RT-1');
    expect(manager.unsavedCount).toBe(0);
  });

  it('a session ended while its refresh runs stays ended, and the new refresh token is revoked', async () => {
    const { provider, manager, session, repository } = await setup();
    provider.onGrant = async () => repository.destroy('s1');
    await expect(accessToken(manager, await session())).rejects.toBeInstanceOf(SessionExpired);
    expect(await repository.get('s1')).toBeUndefined();
    expect(provider.revoked).toEqual(['RT-1']);
  });

  it('without a refresh token, rides the access token until it expires, then ends the session', async () => {
    const { provider, manager, session } = await setup({ refreshToken: undefined, expiresAt: now() + 30 });
    expect(await accessToken(manager, await session())).toBe('AT-0');
    const expired = await setup({ refreshToken: undefined });
    await expect(accessToken(expired.manager, await expired.session())).rejects.toBeInstanceOf(SessionExpired);
    expect(provider.grants).toBe(0);
  });
});

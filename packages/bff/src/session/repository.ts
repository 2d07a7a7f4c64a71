/**
 * Session records as the BFF reads and writes them: a {@link SessionStore}
 * underneath, the tokens encrypted on the way in and decrypted on the way
 * out, and the sid/sub index kept from the record. koa-session and the token
 * manager both go through here.
 */
import type { TokenCipher } from './crypto.ts';
import type { SessionIndex, SessionRecord, SessionStore } from './store.ts';
import type { UserSession } from './user-session.ts';

/** koa-session's store contract over a {@link SessionStore}, with token encryption. */
export class SessionRepository {
  constructor(
    readonly store: SessionStore,
    readonly cipher: TokenCipher,
  ) {}

  async get(id: string): Promise<SessionRecord | undefined> {
    const record = await this.store.get(id);
    const auth = record?.['auth'] as (Omit<UserSession, 'tokens'> & { tokens: unknown }) | undefined;
    if (record && auth && typeof auth.tokens === 'string') auth.tokens = await this.cipher.decrypt(auth.tokens);
    return record;
  }

  async set(id: string, record: SessionRecord, ttlMs: number): Promise<void> {
    const auth = record['auth'] as UserSession | undefined;
    const index: SessionIndex | undefined = auth ? { sub: auth.sub, ...(auth.sid ? { sid: auth.sid } : {}) } : undefined;
    const stored = auth ? { ...record, auth: { ...auth, tokens: await this.cipher.encrypt(auth.tokens) } } : record;
    await this.store.set(id, stored, ttlMs, index);
  }

  async destroy(id: string): Promise<void> {
    await this.store.destroy(id);
  }
}

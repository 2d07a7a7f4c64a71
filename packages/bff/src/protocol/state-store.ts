/**
 * oidc-client-ts's state store, server-side: login states live in the
 * session store under `state:<id>`, encrypted (they hold the PKCE
 * code_verifier and the nonce), for ten minutes, and are read at most once.
 */
import type { StateStore } from 'oidc-client-ts';
import type { TokenCipher } from '../session/crypto.ts';
import type { SessionStore } from '../session/store.ts';

/** How long a login may take between `/login` and `/callback`. */
export const LOGIN_STATE_TTL_MS = 10 * 60 * 1000;

const key = (id: string) => `state:${id}`;

/** A {@link StateStore} over a {@link SessionStore}. */
export function createStateStore(store: SessionStore, cipher: TokenCipher): StateStore {
  const open = async (record: Record<string, unknown> | undefined): Promise<string | null> => (typeof record?.['jwe'] === 'string' ? ((await cipher.decrypt(record['jwe'])) as string) : null);
  return {
    async set(id: string, value: string): Promise<void> {
      await store.set(key(id), { jwe: await cipher.encrypt(value) }, LOGIN_STATE_TTL_MS);
    },
    async get(id: string): Promise<string | null> {
      return open(await store.get(key(id)));
    },
    async remove(id: string): Promise<string | null> {
      if (store.take) return open(await store.take(key(id)));
      const record = await store.get(key(id));
      await store.destroy(key(id));
      return open(record);
    },
    // Stale states expire through their TTL; listing every key of a shared store would be costly.
    async getAllKeys(): Promise<string[]> {
      return [];
    },
  };
}

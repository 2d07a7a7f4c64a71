import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface Entry {
  value: unknown;
  expiresAt: number; // epoch ms
}

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

/**
 * An in-memory oidc-provider adapter whose storage belongs to one provider
 * instance (oidc-provider's own MemoryAdapter shares a module-global store and
 * prints a development warning). State survives stop()/restart() of the HTTP
 * server because it lives as long as the provider object.
 */
export function createMemoryAdapter(): AdapterFactory {
  const store = new Map<string, Entry>();
  let writes = 0;

  const get = <T>(key: string): T | undefined => {
    const entry = store.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry.value as T;
  };
  const set = (key: string, value: unknown, expiresIn: number): void => {
    store.set(key, { value, expiresAt: Date.now() + expiresIn * 1000 });
    if (++writes % 500 === 0) sweep();
  };
  const sweep = (): void => {
    const now = Date.now();
    for (const [key, entry] of store) if (entry.expiresAt <= now) store.delete(key);
  };

  return (model: string): Adapter => {
    const key = (id: string) => `${model}:${id}`;
    const find = async (id: string): Promise<AdapterPayload | undefined> => {
      const payload = get<AdapterPayload>(key(id));
      return payload ? structuredClone(payload) : undefined;
    };
    return {
      async upsert(id, payload, expiresIn) {
        const ttl = expiresIn > 0 ? expiresIn : 365 * 24 * 3600;
        if (model === 'Session' && payload.uid) set(`sessionUid:${payload.uid}`, id, ttl);
        if (GRANTABLE.has(model) && payload.grantId) {
          // The index lives as long as its longest-lived member.
          const grantKey = `grant:${payload.grantId}`;
          const existing = store.get(grantKey);
          const members = get<string[]>(grantKey) ?? [];
          members.push(key(id));
          const expiresAt = Math.max(existing?.expiresAt ?? 0, Date.now() + ttl * 1000);
          store.set(grantKey, { value: members, expiresAt });
        }
        if (payload.userCode) set(`userCode:${payload.userCode}`, id, ttl);
        set(key(id), structuredClone(payload), ttl);
      },
      find,
      async findByUid(uid) {
        const id = get<string>(`sessionUid:${uid}`);
        return id ? find(id) : undefined;
      },
      async findByUserCode(userCode) {
        const id = get<string>(`userCode:${userCode}`);
        return id ? find(id) : undefined;
      },
      async consume(id) {
        const payload = get<AdapterPayload>(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        store.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        const grantKey = `grant:${grantId}`;
        for (const member of get<string[]>(grantKey) ?? []) store.delete(member);
        store.delete(grantKey);
      },
    };
  };
}

/**
 * Ends the sessions of a provider-initiated logout (back-channel or
 * front-channel): every session indexed under the provider's `sid` (or,
 * with only `sub`, under the user). The index is a hint, so each record is
 * read first and ended only when it still belongs to that `sid` and `sub`.
 * Then `hooks.onLogout` hears about each user whose sessions ended, their
 * `sub` taken from the ended records (a logout token may carry only `sid`,
 * a front-channel request never carries `sub`).
 */
import type { BffHooks } from '../options.ts';
import type { SessionRepository } from './repository.ts';
import type { SessionIndex, SessionStore } from './store.ts';

/** The `sub` of each session ended (one entry per session). `store.findIds` must exist. */
export async function endProviderSessions(store: SessionStore, repository: SessionRepository, query: SessionIndex): Promise<string[]> {
  const ended: string[] = [];
  const ids = await store.findIds!(query.sid ? { sid: query.sid } : { sub: query.sub! });
  for (const id of ids) {
    const auth = (await store.get(id))?.['auth'] as { sid?: unknown; sub?: unknown } | undefined;
    if (!auth || (query.sid !== undefined && auth.sid !== query.sid) || (query.sub !== undefined && auth.sub !== query.sub)) continue;
    await repository.destroy(id);
    ended.push(typeof auth.sub === 'string' ? auth.sub : '');
  }
  return ended;
}

/**
 * Calls `onLogout` once per user among `ended` (the subs {@link endProviderSessions}
 * returned), one after the other; sessions without a `sub` are skipped.
 */
export async function tellEnded(hooks: BffHooks, ended: readonly string[], kind: 'backchannel' | 'frontchannel'): Promise<void> {
  if (!hooks.onLogout) return;
  for (const sub of new Set(ended)) if (sub) await hooks.onLogout({ sub, kind });
}

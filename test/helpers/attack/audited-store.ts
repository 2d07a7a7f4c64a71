/**
 * The BFF's own in-memory session store, made auditable: it remembers which
 * keys it holds and every write, so an attack test can prove that no session
 * record was created, changed or removed.
 */
import { MemorySessionStore, type SessionIndex, type SessionRecord } from '@portcullis/bff';

/**
 * The BFF's own in-memory store, with a list of the keys it holds so that a
 * test can compare every session record before and after an attack.
 */
export class AuditedStore extends MemorySessionStore {
  readonly #ids = new Set<string>();
  /** Every write that changed something, in order: `set <id>` (set, setIf, add), `destroy <id>`, `take <id>`. */
  readonly writes: string[] = [];

  override async set(id: string, record: SessionRecord, ttlMs: number, index?: SessionIndex): Promise<void> {
    this.#written(id);
    await super.set(id, record, ttlMs, index);
  }

  override async setIf(id: string, record: SessionRecord, ttlMs: number, index: SessionIndex | undefined, expected: string | null): Promise<boolean> {
    const written = await super.setIf(id, record, ttlMs, index, expected);
    if (written) this.#written(id);
    return written;
  }

  override async add(id: string, record: SessionRecord, ttlMs: number): Promise<boolean> {
    const written = await super.add(id, record, ttlMs);
    if (written) this.#written(id);
    return written;
  }

  override async destroy(id: string): Promise<void> {
    this.#ids.delete(id);
    this.writes.push(`destroy ${id}`);
    await super.destroy(id);
  }

  override async take(id: string): Promise<SessionRecord | undefined> {
    this.#ids.delete(id);
    this.writes.push(`take ${id}`);
    return super.take(id);
  }

  /**
   * Every live session record (login states `state:*`, back-channel `jti:*` and
   * locks excluded) as its stored JSON: tokens stay encrypted, any change shows.
   */
  async sessions(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const id of [...this.#ids].sort()) {
      if (id.includes(':')) continue;
      const record = await super.get(id);
      if (record) out.set(id, JSON.stringify(record));
    }
    return out;
  }

  /** One bookkeeping step for set, setIf and add (the last two only when they wrote). */
  #written(id: string): void {
    this.#ids.add(id);
    this.writes.push(`set ${id}`);
  }
}

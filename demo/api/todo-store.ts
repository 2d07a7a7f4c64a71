import { randomUUID } from 'node:crypto';

export interface Todo {
  id: string;
  title: string;
  done: boolean;
  createdAt: string;
}

/** Titles given to a user (by token `sub`) the first time the store sees them. */
export const DEFAULT_SEED: Readonly<Record<string, readonly string[]>> = {
  alice: ['Buy oat milk', 'Book the dentist'],
  bob: ['Water the plants'],
};

/** Per-user todos in memory, keyed by the access token's `sub`. */
export class TodoStore {
  private readonly byOwner = new Map<string, Todo[]>();

  constructor(seed: Readonly<Record<string, readonly string[]>> = DEFAULT_SEED) {
    for (const [owner, titles] of Object.entries(seed)) {
      this.byOwner.set(
        owner,
        titles.map((title) => this.make(title)),
      );
    }
  }

  private make(title: string): Todo {
    return { id: randomUUID(), title, done: false, createdAt: new Date().toISOString() };
  }

  private listOf(owner: string): Todo[] {
    let list = this.byOwner.get(owner);
    if (!list) {
      list = [];
      this.byOwner.set(owner, list);
    }
    return list;
  }

  list(owner: string): Todo[] {
    return this.listOf(owner).map((t) => ({ ...t }));
  }

  get(owner: string, id: string): Todo | undefined {
    const todo = this.byOwner.get(owner)?.find((t) => t.id === id);
    return todo ? { ...todo } : undefined;
  }

  add(owner: string, title: string): Todo {
    const todo = this.make(title);
    this.listOf(owner).push(todo);
    return { ...todo };
  }

  update(owner: string, id: string, patch: Partial<Pick<Todo, 'title' | 'done'>>): Todo | undefined {
    const todo = this.byOwner.get(owner)?.find((t) => t.id === id);
    if (!todo) return undefined;
    if (patch.title !== undefined) todo.title = patch.title;
    if (patch.done !== undefined) todo.done = patch.done;
    return { ...todo };
  }

  remove(owner: string, id: string): boolean {
    const list = this.byOwner.get(owner);
    const index = list?.findIndex((t) => t.id === id) ?? -1;
    if (!list || index < 0) return false;
    list.splice(index, 1);
    return true;
  }

  /** Removes every todo of `owner`; returns how many there were. */
  clear(owner: string): number {
    const count = this.byOwner.get(owner)?.length ?? 0;
    this.byOwner.set(owner, []);
    return count;
  }
}

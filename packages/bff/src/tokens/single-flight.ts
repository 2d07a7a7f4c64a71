/** At most one running call per key; concurrent callers share its result. */
export class SingleFlight<T> {
  readonly #running = new Map<string, Promise<T>>();

  /** Runs `work` for `key` unless a run for `key` is under way, whose promise is then returned. */
  run(key: string, work: () => Promise<T>): Promise<T> {
    let promise = this.#running.get(key);
    if (!promise) {
      promise = work().finally(() => this.#running.delete(key));
      this.#running.set(key, promise);
    }
    return promise;
  }

  /** Number of keys with a run under way. */
  get size(): number {
    return this.#running.size;
  }
}

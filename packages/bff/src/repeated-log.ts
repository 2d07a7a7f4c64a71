/**
 * One log line per interval for a failure that repeats (a provider or an
 * upstream API down), with the count of what was left out, instead of one
 * line per request: a down dependency must not flood the logs.
 */
import type { BffLogger, LogMethod } from './logger.ts';

/** How long repeats of one failure are counted before the next line. */
export const REPEAT_INTERVAL_MS = 60_000;

/** Aggregates log lines by key. */
export class RepeatedLog {
  readonly #seen = new Map<string, { since: number; suppressed: number }>();

  constructor(
    readonly logger: BffLogger,
    readonly intervalMs = REPEAT_INTERVAL_MS,
  ) {}

  /** Logs through `method` unless `key` was logged within the interval; the next line carries `repeated`. */
  report(key: string, method: LogMethod, fields: Record<string, unknown>, message: string): void {
    const now = Date.now();
    const entry = this.#seen.get(key);
    if (entry && now - entry.since < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    this.#seen.set(key, { since: now, suppressed: 0 });
    if (this.#seen.size > 1000) this.#seen.delete(this.#seen.keys().next().value as string);
    method.call(this.logger, entry?.suppressed ? { ...fields, repeated: entry.suppressed } : fields, message);
  }
}

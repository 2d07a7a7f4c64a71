/**
 * Unknown keys: a misspelt option is reported by its own name with the
 * closest known one (`unknown option "baseURL": did you mean "baseUrl"?`),
 * before any "required" message about the option it was meant to be.
 */
import { ConfigError, sourceNote, type Json } from './types.ts';

/** Edit distance (insertions, deletions, substitutions), case-insensitive. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[y.length]!;
}

/** The known name closest to `name`, when close enough to be a typo. */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const candidate of known) {
    const d = distance(name, candidate);
    if (!best || d < best.d) best = { name: candidate, d };
  }
  // A third of the name may differ (at least 2 edits): "baseURL" -> "baseUrl", "issuerr" -> "issuer".
  return best && best.d <= Math.max(2, Math.floor(name.length / 3)) ? best.name : undefined;
}

/**
 * Throws for the first key of `obj` not in `known`.
 * @param prefix the option path of `obj` (`''` at the top, `session`, `apis[0]`)
 * @param elsewhere known keys that belong somewhere else, with where (`url` -> `a redis store`)
 */
export function rejectUnknownKeys(obj: Json, known: readonly string[], prefix: string, sources: Record<string, string>, elsewhere: Record<string, string> = {}): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    const option = prefix ? `${prefix}.${key}` : key;
    const note = sourceNote(sources, option);
    const misplaced = elsewhere[key];
    if (misplaced) throw new ConfigError(option, `option "${option}" ${misplaced}${note}`);
    const guess = closest(key, known);
    const hint = guess ? `: did you mean "${prefix ? `${prefix}.${guess}` : guess}"?` : `: the options here are ${known.map((k) => `"${k}"`).join(', ')}`;
    throw new ConfigError(option, `unknown option "${option}"${hint}${note}`);
  }
}

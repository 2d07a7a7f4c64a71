/**
 * Option validation with zod, in `@portcullis/bff`'s style: one schema per
 * entry point, parsed once at creation, and the first problem thrown as an
 * {@link ApiGuardOptionsError} that names the option and says what to fix.
 *
 * @packageDocumentation
 */

import type { z } from 'zod';

/** Thrown when an option of `requireAccessToken`, `requireScope` or `requireAuthentication` is wrong. */
export class ApiGuardOptionsError extends TypeError {
  /** Path of the wrong option, e.g. `introspection.clientId`. */
  readonly option: string;

  constructor(option: string, message: string) {
    super(message);
    this.name = 'ApiGuardOptionsError';
    this.option = option;
  }
}

/** Describes a value for an error message without echoing long input. @internal */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/**
 * A zod error function: the requirement followed by the value received
 * (`, got "x"`). Use a plain string instead for secrets.
 * @internal
 */
export const got =
  (requirement: string) =>
  (issue: { input?: unknown }): string =>
    `${requirement}, got ${describe(issue.input)}`;

function optionPath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), prefix);
}

type Issue = z.core.$ZodIssue;

/**
 * For a union whose input had the right shape for one branch (an array of
 * audiences with one bad item), that branch's issue says more than "must be a
 * string or an array": use it, with its full path.
 */
function deepest(issue: Issue): Issue {
  if (issue.code !== 'invalid_union') return issue;
  for (const branch of issue.errors) {
    const inner = branch[0];
    if (inner !== undefined && !(inner.code === 'invalid_type' && inner.path.length === 0)) {
      return deepest({ ...inner, path: [...issue.path, ...inner.path] } as Issue);
    }
  }
  return issue;
}

/** How {@link parseOptions} names options in its messages. @internal */
export interface ParseContext {
  /** Name of the whole input, e.g. `options`. */
  readonly name: string;
  /** Known keys per object path (`''` for the top level), for the typo message. */
  readonly known: Readonly<Record<string, readonly string[]>>;
  /** Prefix option paths with `name` (for a value that is not an object, e.g. `requireScope(...scopes)[0]`). */
  readonly prefixPaths?: boolean;
}

/**
 * Parses `input` with `schema`, throwing the first issue as an
 * {@link ApiGuardOptionsError}.
 * @internal
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, context: ParseContext): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = deepest(result.error.issues[0]!);
  const path = optionPath(context.prefixPaths === true && issue.path.length > 0 ? context.name : '', issue.path);
  if (issue.code === 'unrecognized_keys') {
    const key = optionPath(path, [issue.keys[0]!]);
    const known = (context.known[path] ?? []).map((k) => optionPath(path, [k])).join(', ');
    throw new ApiGuardOptionsError(key, `api-guard: unknown option "${key}" (known options: ${known}): check its spelling`);
  }
  if (path === '') throw new ApiGuardOptionsError(context.name, `api-guard: ${context.name} ${issue.message}`);
  throw new ApiGuardOptionsError(path, `api-guard: option "${path}" ${issue.message}`);
}

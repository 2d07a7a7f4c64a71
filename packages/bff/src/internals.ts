/**
 * The parts behind a `createBff` middleware (options as resolved, provider
 * client, store, repository, token managers), for the BFF's own server and
 * for tests. Not part of the public API: the middleware has no property
 * that leads here, and `@portcullis/bff` does not export this module.
 */
import type { Bff } from './context.ts';

const parts = new WeakMap<object, Bff>();

/** Records the parts of a middleware (createBff only). */
export function registerInternals(middleware: object, bff: Bff): void {
  parts.set(middleware, bff);
}

/** The parts of a middleware made by `createBff`; throws for anything else. */
export function internalsOf(middleware: object): Bff {
  const bff = parts.get(middleware);
  if (!bff) throw new TypeError('not a middleware made by createBff');
  return bff;
}

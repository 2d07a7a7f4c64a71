/**
 * The options of `createBff`: their types (options/types.ts), the schema
 * that validates them (options/schema.ts) and their resolution with defaults
 * and derived values (options/resolve.ts). A wrong option throws a
 * {@link BffOptionsError} that names the option and says what to fix.
 */
export * from './options/types.ts';
export { DEFAULT_LOGIN_PARAMS, isProtocolParam } from './options/schema.ts';
export { resolveOptions, type ResolvedOptions } from './options/resolve.ts';

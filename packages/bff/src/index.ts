/**
 * `@portcullis/bff`: a Koa Backend-for-Frontend. The SPA gets a cookie; the
 * tokens stay here.
 *
 * @packageDocumentation
 */
export { createBff, type BffMiddleware } from './bff.ts';
export type { RequireSessionOptions, SessionState } from './require-session.ts';
export type { SessionListEntry } from './endpoints/sessions.ts';
export type { Bff } from './context.ts';
export type { AccessPolicy, ApiRoute, ApiTokenType, BffHooks, BffOptions, LoginEvent, LoginOptions, LogoutOptions, ResolvedOptions, SessionOptions, UserOptions } from './options.ts';
export { BffOptionsError } from './options.ts';
export type { BffEvents } from './events.ts';
export type { BffLogger, LogMethod } from './logger.ts';
export { createConsoleLogger, silentLogger } from './logger.ts';
export type { SessionIndex, SessionRecord, SessionStore } from './session/store.ts';
export { MemorySessionStore, type MemorySessionStoreOptions } from './session/memory-store.ts';
export { SessionRepository } from './session/repository.ts';
export { TokenCipher } from './session/crypto.ts';
export type { SessionData, TokenSet, UserSession } from './session/user-session.ts';
export type { UserInfoResponse } from './endpoints/user.ts';
export { checkReturnTo } from './return-to.ts';
export * as errors from './errors.ts';
export { serveStatic, type StaticFilesOptions } from './server/static-files.ts';
export { RedisSessionStore, type RedisSessionStoreOptions } from './session/redis-store.ts';
export type { LockHandle } from './session/store.ts';

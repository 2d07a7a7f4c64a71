/**
 * `@portcullis/bff`: a Koa Backend-for-Frontend. The SPA gets a cookie; the
 * tokens stay here.
 *
 * What users need and nothing else: `createBff` and its options, the session
 * stores and their contract, the rate-limiter and logger contracts, the
 * event observer, and the typed errors. The server command's parts (config,
 * server, static files) are the `@portcullis/bff/server` entry. The checked-in
 * report `etc/bff.api.md` shows every change to this surface in review.
 *
 * @packageDocumentation
 */
export { createBff, type BffMiddleware } from './bff.ts';
export type { FastHandler, HandleOptions, KoaLike } from './proxy/fast-types.ts';
export type { RequireSessionOptions, SessionState } from './require-session.ts';
export type { SessionListEntry } from './endpoints/sessions.ts';
export type { AccessPolicy, ApiRoute, ApiTokenType, BffHooks, BffOptions, LoginEvent, LoginOptions, LogoutOptions, RateLimiter, SessionOptions, UserOptions } from './options.ts';
export { BffOptionsError } from './options.ts';
export { PROVIDER_NAMES, PROVIDER_PROFILES, type EndSessionStyle, type ProviderName, type ProviderProfile } from './protocol/profiles.ts';
export type { DpopAlgorithm, DpopPrivateJwk } from './protocol/dpop-key.ts';
export type { BffEvents } from './events.ts';
export type { BffLogger, LogLevel, LogMethod } from './logger.ts';
export { createConsoleLogger, silentLogger } from './logger.ts';
export type { LockHandle, SessionIndex, SessionRecord, SessionStore } from './session/store.ts';
export { MemorySessionStore, type MemorySessionStoreOptions } from './session/memory-store.ts';
export { RedisSessionStore, type RedisSessionStoreOptions } from './session/redis-store.ts';
export type { RedisClientConnection, RedisClusterConnection, RedisConnection, RedisMode, RedisSentinelConnection, RedisUrlConnection } from './session/redis-client.ts';
export type { RedisStoreInfo } from './session/redis-health.ts';
export type { RedisClient } from './session/redis-scripts.ts';
export type { SessionData, TokenSet, UserSession } from './session/user-session.ts';
export type { UserInfoResponse } from './endpoints/user.ts';
export * as errors from './errors.ts';

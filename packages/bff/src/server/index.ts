/**
 * `@portcullis/bff/server`: what `portcullis serve` is made of, for a
 * program that starts the server itself (a custom entry point, tests, a
 * process manager) and for apps that serve their SPA next to `createBff`:
 * the config loader, the server, the check, and the static-file middleware.
 *
 * @packageDocumentation
 */
export { startServer, type RunningServer, type StartServerOptions } from './serve.ts';
export { checkConfig, type CheckOutcome } from './check.ts';
export {
  ConfigError,
  loadConfig,
  type ConfigBffOptions,
  type ConfigFlags,
  type LoadConfigInput,
  type MetricsConfig,
  type RedisStoreConfig,
  type ServerConfig,
  type StaticConfig,
  type StoreConfig,
} from './config.ts';
export type { CheckChangeListener, CheckResult, Readiness, ReadinessCheck, ReadinessReport } from './health.ts';
export type { MetricsListener } from './metrics.ts';
export type { LogLevel as ServerLogLevel } from './logger.ts';
export { serveStatic, type StaticFilesOptions } from './static-files.ts';
export type { CompressorOptions } from './static-encoding.ts';

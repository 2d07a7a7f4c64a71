/**
 * The shapes shared by the configuration modules: the error type, the
 * validated {@link ServerConfig}, and small helpers on plain JSON objects.
 */
import type { BffOptions, SessionOptions } from '../../options.ts';
import type { SessionStore } from '../../session/store.ts';
import type { LogLevel } from '../logger.ts';

/** A configuration error: names the option (or environment variable) and what to fix. */
export class ConfigError extends Error {
  constructor(
    /** The option path (`session.keys`) or variable (`PORTCULLIS_PORT`) at fault. */
    readonly option: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A Redis session store: exactly one of `url`, `cluster`, `sentinels`. */
export interface RedisStoreConfig {
  type: 'redis';
  /** `redis://` or `rediss://` URL of one Redis (a primary). */
  url?: string;
  /** Seed nodes of a Redis Cluster, as URLs. */
  cluster?: string[];
  /** Sentinels as `host:port`; `name` is the monitored primary's name. */
  sentinels?: string[];
  /** The primary's name at the sentinels (required with `sentinels`). */
  name?: string;
  /** Redis password (sentinels; merged into the URLs of `url`/`cluster`). */
  password?: string;
  /** Password of the sentinels themselves, when they have one. */
  sentinelPassword?: string;
  /** TLS: `rediss://` for `url`/`cluster` (this flag rewrites `redis://`), TLS to primary and sentinels for `sentinels`. */
  tls?: boolean;
}

/** Where sessions live. */
export type StoreConfig =
  | { type: 'memory'; maxEntries?: number }
  | RedisStoreConfig
  /** A store instance, from a JS/TS config file. */
  | { type: 'custom'; store: SessionStore };

/** How the SPA's static build is served. */
export interface StaticConfig {
  /** Absolute directory of the build. */
  dir: string;
  /** Serve index.html for client routes. Default true. */
  fallback: boolean;
  /** Content-Security-Policy header of HTML responses. Default: none. */
  contentSecurityPolicy?: string;
  /** URL paths whose hashed files are cached as `immutable` (a regular expression). Default: hashed names under /assets/ and /static/. */
  immutable?: RegExp;
  /** Compress text files on the fly (brotli/gzip, cached); precompressed `.br`/`.gz` files are served either way. Default true. */
  compress: boolean;
}

/** The BFF options a config can hold (the JSON-able part: no logger, the store handled by the server). */
export type ConfigBffOptions = Omit<BffOptions, 'logger' | 'session' | 'events' | 'hooks'> & { session: Omit<SessionOptions, 'store'> };

/** Where `GET /metrics` listens: never the public port. */
export interface MetricsConfig {
  /** Port of the metrics listener (0 picks a free one). */
  port: number;
  /** Interface of the metrics listener. Default `127.0.0.1`: set `0.0.0.0` for a scraper on another host, and keep the port off the public load balancer. */
  host: string;
}

/** A loaded, validated server configuration. */
export interface ServerConfig {
  /** Passed to `createBff` (with the logger and the store added). */
  bff: ConfigBffOptions;
  /** Port to listen on. Default 3000; 0 picks a free one. */
  port: number;
  /** Interface to listen on. Default: all. */
  host: string | undefined;
  /** The SPA build, when served. */
  static: StaticConfig | undefined;
  /**
   * How many reverse proxies in front append to `X-Forwarded-For` and are trusted
   * (`true` in the file means 1). 0: none, `X-Forwarded-*` ignored. Default 0.
   */
  trustProxy: number;
  /** `/readyz` fails while the provider's discovery document fails. Default false: reported only. */
  readyRequiresProvider: boolean;
  /** Milliseconds in-flight requests get to finish on SIGTERM/SIGINT. Default 10 000. */
  shutdownTimeout: number;
  /** Milliseconds each `/readyz` check may take. Default 2000. */
  readyTimeout: number;
  /** Lowest log level written. Default `info`. */
  logLevel: LogLevel;
  /** Prometheus metrics on their own listener (`GET /metrics`), when set. Default: off. */
  metrics: MetricsConfig | undefined;
  /** Where sessions live. Default memory. */
  store: StoreConfig;
  /** The config file read, if any. */
  file: string | undefined;
  /** Where each option's value came from (`PORTCULLIS_ISSUER`, `--port`, the file), by option path. */
  sources: Record<string, string>;
  /** Things worth telling the operator that are not errors (unknown variables…). */
  warnings: string[];
}

/** A plain JSON object. */
export type Json = Record<string, unknown>;

/** A plain object (not an array, not null). */
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value at a dotted option path (`session.store.url`), or undefined. */
export function getPath(obj: Json, dotted: string): unknown {
  let current: unknown = obj;
  for (const part of dotted.split('.')) {
    if (!isObject(current)) return undefined;
    current = current[part];
  }
  return current;
}

/** Sets the value at a dotted option path, creating objects on the way (`static` as a string becomes `{ dir }`). */
export function setPath(obj: Json, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let current = obj;
  for (const part of parts.slice(0, -1)) {
    const next = current[part];
    if (typeof next === 'string' && part === 'static') current[part] = { dir: next };
    else if (!isObject(next)) current[part] = {};
    current = current[part] as Json;
  }
  current[parts.at(-1)!] = value;
}

/** ` (from PORTCULLIS_X)` for the closest option path that has a recorded source. */
export function sourceNote(sources: Record<string, string>, option: string): string {
  let current = option.replace(/\[\d+\]/g, '');
  for (;;) {
    const source = sources[current];
    if (source) return ` (from ${source})`;
    const dot = current.lastIndexOf('.');
    if (dot < 0) return '';
    current = current.slice(0, dot);
  }
}

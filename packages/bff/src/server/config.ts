/**
 * The server configuration: a file (JSON, or a JS/TS module whose default
 * export is the object or a function returning it), then environment
 * variables, then the few non-secret command-line flags, each overriding the
 * one before. Secrets come from the environment, from files, or from the
 * config file (directly or as `{ "file": "…" }` / `{ "env": "NAME" }`), never
 * from the command line.
 *
 * The result is a validated {@link ServerConfig}. The server fields are
 * checked here; the BFF options are checked by `createBff` itself (see
 * {@link validateBffOptions}). Every error names the option and where its
 * value came from (the file, an environment variable, a flag).
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { silentLogger } from '../logger.ts';
import { BffOptionsError, type BffOptions, type SessionOptions } from '../options.ts';
import type { SessionStore } from '../session/store.ts';
import { LOG_LEVELS, type LogLevel } from './logger.ts';

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

/** Where sessions live. */
export type StoreConfig =
  | { type: 'memory' }
  | { type: 'redis'; url: string }
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
}

/** The BFF options a config can hold (the JSON-able part: no logger, the store handled by the server). */
export type ConfigBffOptions = Omit<BffOptions, 'logger' | 'session'> & { session: Omit<SessionOptions, 'store'> };

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
  /** Trust `X-Forwarded-Proto`/`-Host`/`-For` from a reverse proxy (Koa `app.proxy`). Default false. */
  trustProxy: boolean;
  /** Milliseconds in-flight requests get to finish on SIGTERM/SIGINT. Default 10 000. */
  shutdownTimeout: number;
  /** Milliseconds each `/readyz` check may take. Default 2000. */
  readyTimeout: number;
  /** Lowest log level written. Default `info`. */
  logLevel: LogLevel;
  /** Where sessions live. Default memory. */
  store: StoreConfig;
  /** The config file read, if any. */
  file: string | undefined;
  /** Where each option's value came from (`PORTCULLIS_ISSUER`, `--port`, the file), by option path. */
  sources: Record<string, string>;
  /** Things worth telling the operator that are not errors (unknown variables…). */
  warnings: string[];
}

type Kind = 'string' | 'int' | 'number' | 'bool' | 'csv' | 'json';

/** One environment variable. */
export interface EnvVariable {
  name: string;
  /** The option path it sets. */
  option: string;
  kind: Kind;
  /** A secret: also readable from the file named by `${name}_FILE`. */
  secret?: boolean;
  description: string;
}

/** Every environment variable the server reads (the README's table lists the same). */
export const ENV_VARIABLES: readonly EnvVariable[] = [
  { name: 'PORTCULLIS_ISSUER', option: 'issuer', kind: 'string', description: 'The provider issuer URL.' },
  { name: 'PORTCULLIS_CLIENT_ID', option: 'clientId', kind: 'string', description: 'The BFF client id at the provider.' },
  { name: 'PORTCULLIS_CLIENT_SECRET', option: 'clientSecret', kind: 'string', secret: true, description: 'The client secret.' },
  { name: 'PORTCULLIS_BASE_URL', option: 'baseUrl', kind: 'string', description: 'Public origin of the SPA and the BFF.' },
  { name: 'PORTCULLIS_SCOPE', option: 'scope', kind: 'string', description: 'Scopes to request (space-separated).' },
  { name: 'PORTCULLIS_PATH', option: 'path', kind: 'string', description: 'Path of the BFF endpoints (default /bff).' },
  { name: 'PORTCULLIS_CLIENT_AUTHENTICATION', option: 'clientAuthentication', kind: 'string', description: 'client_secret_basic or client_secret_post.' },
  { name: 'PORTCULLIS_AUTHORIZATION_PARAMS', option: 'authorizationParams', kind: 'json', description: 'Extra authorization parameters, JSON object.' },
  { name: 'PORTCULLIS_ID_TOKEN_ALGORITHMS', option: 'idTokenAlgorithms', kind: 'csv', description: 'Accepted ID token algorithms, comma-separated.' },
  { name: 'PORTCULLIS_CLOCK_TOLERANCE', option: 'clockTolerance', kind: 'number', description: 'Clock tolerance, seconds.' },
  { name: 'PORTCULLIS_REFRESH_SKEW', option: 'refreshSkew', kind: 'number', description: 'Refresh tokens expiring within this many seconds.' },
  { name: 'PORTCULLIS_SESSION_KEYS', option: 'session.keys', kind: 'csv', secret: true, description: 'Cookie signing keys, comma-separated (first signs).' },
  { name: 'PORTCULLIS_SESSION_COOKIE_NAME', option: 'session.cookieName', kind: 'string', description: 'Session cookie name (default portcullis).' },
  { name: 'PORTCULLIS_SESSION_SAME_SITE', option: 'session.sameSite', kind: 'string', description: 'strict or lax.' },
  { name: 'PORTCULLIS_SESSION_IDLE_TIMEOUT', option: 'session.idleTimeout', kind: 'int', description: 'Idle timeout, seconds.' },
  { name: 'PORTCULLIS_SESSION_ABSOLUTE_TIMEOUT', option: 'session.absoluteTimeout', kind: 'int', description: 'Absolute session lifetime, seconds.' },
  { name: 'PORTCULLIS_SESSION_STORE', option: 'session.store.type', kind: 'string', description: 'memory or redis (redis is implied by PORTCULLIS_REDIS_URL).' },
  { name: 'PORTCULLIS_REDIS_URL', option: 'session.store.url', kind: 'string', secret: true, description: 'redis:// or rediss:// URL of the session store.' },
  { name: 'PORTCULLIS_APIS', option: 'apis', kind: 'json', description: 'Proxied APIs, JSON array of { path, target, token, … }.' },
  { name: 'PORTCULLIS_LOGOUT_ID_TOKEN_HINT', option: 'logout.idTokenHint', kind: 'bool', description: 'Send id_token_hint at logout.' },
  { name: 'PORTCULLIS_LOGOUT_REVOKE_TOKENS', option: 'logout.revokeTokens', kind: 'bool', description: 'Revoke the refresh token at logout.' },
  { name: 'PORTCULLIS_RATE_LIMIT', option: 'rateLimit', kind: 'json', description: 'Login/callback rate limit per IP, JSON { "max", "windowSeconds" } or false.' },
  { name: 'PORTCULLIS_DIAGNOSTICS', option: 'diagnostics', kind: 'bool', description: 'Serve GET /bff/diagnostics (expiries, never token values).' },
  { name: 'PORTCULLIS_PORT', option: 'port', kind: 'int', description: 'Port to listen on (default 3000).' },
  { name: 'PORTCULLIS_HOST', option: 'host', kind: 'string', description: 'Interface to listen on (default all).' },
  { name: 'PORTCULLIS_STATIC', option: 'static.dir', kind: 'string', description: 'Directory of the SPA build to serve.' },
  { name: 'PORTCULLIS_STATIC_FALLBACK', option: 'static.fallback', kind: 'bool', description: 'SPA fallback to index.html (default true).' },
  { name: 'PORTCULLIS_STATIC_CSP', option: 'static.contentSecurityPolicy', kind: 'string', description: 'Content-Security-Policy of HTML responses.' },
  { name: 'PORTCULLIS_TRUST_PROXY', option: 'trustProxy', kind: 'bool', description: 'Trust X-Forwarded-* headers (behind a reverse proxy).' },
  { name: 'PORTCULLIS_SHUTDOWN_TIMEOUT', option: 'shutdownTimeout', kind: 'int', description: 'Grace period for in-flight requests, ms (default 10000).' },
  { name: 'PORTCULLIS_READY_TIMEOUT', option: 'readyTimeout', kind: 'int', description: 'Timeout of each /readyz check, ms (default 2000).' },
  { name: 'PORTCULLIS_LOG_LEVEL', option: 'logLevel', kind: 'string', description: 'fatal, error, warn, info (default), debug, trace or silent.' },
];

/** Variables that are not options. */
export const OTHER_ENV_VARIABLES: readonly { name: string; description: string }[] = [
  { name: 'PORTCULLIS_CONFIG', description: 'Config file path (instead of --config).' },
  ...ENV_VARIABLES.filter((v) => v.secret).map((v) => ({ name: `${v.name}_FILE`, description: `File holding ${v.name} (trailing newline ignored).` })),
];

/** The non-secret command-line overrides. */
export interface ConfigFlags {
  port?: string;
  host?: string;
  static?: string;
  trustProxy?: boolean;
  logLevel?: string;
}

/** Where to load from. */
export interface LoadConfigInput {
  /** Config file path (relative to `cwd`). Default: `env.PORTCULLIS_CONFIG`, else none. */
  file?: string;
  /** Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  flags?: ConfigFlags;
  /** Default `process.cwd()`. */
  cwd?: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Loads the file, applies environment variables and flags, resolves secrets, validates the server fields. */
export async function loadConfig(input: LoadConfigInput = {}): Promise<ServerConfig> {
  const env = input.env ?? process.env;
  const cwd = input.cwd ?? process.cwd();
  const fileArg = input.file ?? (env['PORTCULLIS_CONFIG'] || undefined);
  const file = fileArg ? path.resolve(cwd, fileArg) : undefined;
  const sources: Record<string, string> = {};
  const warnings: string[] = [];

  const raw: Json = file ? await readConfigFile(file) : {};
  const fileDir = file ? path.dirname(file) : cwd;
  const fileLabel = file ? `config file ${file}` : 'config';
  for (const key of Object.keys(raw)) sources[key] = fileLabel;

  // `static` as a string is the directory; relative paths are relative to the config file.
  if (typeof raw['static'] === 'string') raw['static'] = { dir: raw['static'] };
  if (isObject(raw['static']) && typeof raw['static']['dir'] === 'string') raw['static']['dir'] = path.resolve(fileDir, raw['static']['dir']);
  // Secrets written in the file as { file } / { env }.
  await resolveSecretRefs(raw, { baseDir: fileDir, env, label: fileLabel });

  // Environment variables override the file.
  const known = new Set([...ENV_VARIABLES.map((v) => v.name), ...OTHER_ENV_VARIABLES.map((v) => v.name)]);
  for (const name of Object.keys(env)) {
    if (name.startsWith('PORTCULLIS_') && !known.has(name)) warnings.push(`unknown environment variable ${name} ignored (see \`portcullis --help\` for the list)`);
  }
  for (const variable of ENV_VARIABLES) {
    const direct = env[variable.name];
    const fromFile = variable.secret ? env[`${variable.name}_FILE`] : undefined;
    if (direct !== undefined && direct !== '' && fromFile) throw new ConfigError(variable.name, `${variable.name} and ${variable.name}_FILE are both set: set only one`);
    let text: string | undefined;
    let source = variable.name;
    if (fromFile) {
      text = readSecretFile(path.resolve(cwd, fromFile), `${variable.name}_FILE`);
      source = `${variable.name}_FILE`;
    } else if (direct !== undefined && direct !== '') {
      text = direct;
    }
    if (text === undefined) continue;
    const value = parseEnv(variable, text, source);
    setPath(raw, variable.option, variable.option === 'static.dir' ? path.resolve(cwd, String(value)) : value);
    sources[variable.option] = source;
    if (variable.option === 'session.store.url' && env['PORTCULLIS_SESSION_STORE'] === undefined) {
      setPath(raw, 'session.store.type', 'redis');
    }
  }

  // Flags override everything (none of them is a secret).
  const flags = input.flags ?? {};
  const flagValues: Array<[string, string, unknown]> = [];
  if (flags.port !== undefined) flagValues.push(['port', '--port', parseEnv({ name: '--port', option: 'port', kind: 'int', description: '' }, flags.port, '--port')]);
  if (flags.host !== undefined) flagValues.push(['host', '--host', flags.host]);
  if (flags.static !== undefined) flagValues.push(['static.dir', '--static', path.resolve(cwd, flags.static)]);
  if (flags.trustProxy !== undefined) flagValues.push(['trustProxy', '--trust-proxy', flags.trustProxy]);
  if (flags.logLevel !== undefined) flagValues.push(['logLevel', '--log-level', flags.logLevel]);
  for (const [option, flag, value] of flagValues) {
    setPath(raw, option, value);
    sources[option] = flag;
  }

  return validate(raw, { file, sources, warnings });
}

/** Reads a JSON file or imports a JS/TS module (default export: the config object, or a function returning it). */
async function readConfigFile(file: string): Promise<Json> {
  let stats;
  try {
    stats = statSync(file);
  } catch {
    throw new ConfigError('--config', `config file ${file} not found`);
  }
  if (!stats.isFile()) throw new ConfigError('--config', `config file ${file} is not a file`);
  const ext = path.extname(file).toLowerCase();
  let value: unknown;
  if (ext === '.json') {
    try {
      value = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError('--config', `config file ${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else if (['.js', '.mjs', '.cjs', '.ts', '.mts'].includes(ext)) {
    let module: { default?: unknown };
    try {
      module = (await import(pathToFileURL(file).href)) as { default?: unknown };
    } catch (err) {
      throw new ConfigError('--config', `config file ${file} could not be loaded: ${err instanceof Error ? err.message : String(err)}`);
    }
    value = module.default;
    if (typeof value === 'function') value = await (value as () => unknown)();
  } else {
    throw new ConfigError('--config', `config file ${file}: use .json, .js, .mjs or .ts`);
  }
  if (!isObject(value)) throw new ConfigError('--config', `config file ${file} must hold (or export as default) an object`);
  return structuredCloneSafe(value);
}

/** A deep copy of plain data (functions and class instances, e.g. a store, are kept by reference). */
function structuredCloneSafe(value: Json): Json {
  const copy = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(copy);
    if (isObject(v) && Object.getPrototypeOf(v) === Object.prototype) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)]));
    return v;
  };
  return copy(value) as Json;
}

/** The option paths whose values may be `{ "file": … }` or `{ "env": … }` in a config file. */
const SECRET_OPTIONS = ['clientSecret', 'session.keys', 'session.store.url'] as const;

async function resolveSecretRefs(raw: Json, context: { baseDir: string; env: NodeJS.ProcessEnv; label: string }): Promise<void> {
  for (const option of SECRET_OPTIONS) {
    const value = getPath(raw, option);
    if (value === undefined) continue;
    if (option === 'session.keys') {
      if (isObject(value)) setPath(raw, option, splitKeys(resolveRef(value, option, context)));
      else if (Array.isArray(value)) setPath(raw, option, value.map((item, i) => (isObject(item) ? resolveRef(item, `${option}[${i}]`, context) : item)));
    } else if (isObject(value)) {
      setPath(raw, option, resolveRef(value, option, context));
    }
  }
}

function resolveRef(ref: Json, option: string, context: { baseDir: string; env: NodeJS.ProcessEnv; label: string }): string {
  const keys = Object.keys(ref);
  if (keys.length === 1 && typeof ref['file'] === 'string') return readSecretFile(path.resolve(context.baseDir, ref['file']), option);
  if (keys.length === 1 && typeof ref['env'] === 'string') {
    const value = context.env[ref['env']];
    if (value === undefined || value === '') throw new ConfigError(option, `option "${option}" reads environment variable ${ref['env']}, which is not set (${context.label})`);
    return value;
  }
  throw new ConfigError(option, `option "${option}" must be a string, { "file": "/path" } or { "env": "NAME" } (${context.label})`);
}

function readSecretFile(file: string, option: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'unreadable';
    throw new ConfigError(option, `${option}: cannot read secret file ${file} (${code})`);
  }
  const value = text.replace(/[\r\n]+$/, '');
  if (!value) throw new ConfigError(option, `${option}: secret file ${file} is empty`);
  return value;
}

/** Keys from one string: comma- or newline-separated. */
const splitKeys = (text: string): string[] =>
  text
    .split(/[,\r\n]+/)
    .map((k) => k.trim())
    .filter(Boolean);

function parseEnv(variable: EnvVariable, text: string, source: string): unknown {
  const fail = (what: string): never => {
    throw new ConfigError(source, `${source} ${what} (sets option "${variable.option}")`);
  };
  switch (variable.kind) {
    case 'string':
      return text;
    case 'int': {
      if (!/^\d+$/.test(text.trim())) fail(`must be a whole number, got "${text}"`);
      return Number(text.trim());
    }
    case 'number': {
      const n = Number(text.trim());
      if (text.trim() === '' || !Number.isFinite(n)) fail(`must be a number, got "${text}"`);
      return n;
    }
    case 'bool': {
      const t = text.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(t)) return true;
      if (['0', 'false', 'no', 'off'].includes(t)) return false;
      return fail(`must be true or false, got "${text}"`);
    }
    case 'csv':
      return variable.option === 'session.keys' ? splitKeys(text) : text.split(',').map((s) => s.trim()).filter(Boolean);
    case 'json':
      try {
        return JSON.parse(text);
      } catch (err) {
        return fail(`must be JSON: ${err instanceof Error ? err.message : String(err)}`);
      }
  }
}

function getPath(obj: Json, dotted: string): unknown {
  let current: unknown = obj;
  for (const part of dotted.split('.')) {
    if (!isObject(current)) return undefined;
    current = current[part];
  }
  return current;
}

function setPath(obj: Json, dotted: string, value: unknown): void {
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

const storeSchema = z.union(
  [
    z.strictObject({ type: z.literal('memory') }),
    z.strictObject({
      type: z.literal('redis'),
      url: z.string({ error: 'is required for a redis store: "redis://host:6379" (or PORTCULLIS_REDIS_URL)' }).refine((u) => /^rediss?:\/\/./.test(u), 'must be a redis:// or rediss:// URL'),
    }),
  ],
  { error: 'must be { "type": "memory" } or { "type": "redis", "url": "redis://…" }' },
);

const serverSchema = z.object({
  port: z.number({ error: 'must be a port number' }).int('must be a whole number').min(0).max(65_535, 'must be at most 65535').default(3000),
  host: z.string().min(1, 'must not be empty').optional(),
  static: z
    .strictObject({
      dir: z.string({ error: 'is required: the directory of the SPA build' }),
      fallback: z.boolean().default(true),
      contentSecurityPolicy: z.string().min(1).optional(),
      immutable: z.string().min(1).optional(),
    })
    .optional(),
  trustProxy: z.boolean({ error: 'must be true or false' }).default(false),
  shutdownTimeout: z.number().int().min(0).max(600_000, 'must be at most 600000 ms').default(10_000),
  readyTimeout: z.number().int().min(100, 'must be at least 100 ms').max(60_000, 'must be at most 60000 ms').default(2000),
  logLevel: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
});

const SERVER_KEYS = ['port', 'host', 'static', 'trustProxy', 'shutdownTimeout', 'readyTimeout', 'logLevel', '$schema'] as const;

function validate(raw: Json, meta: { file: string | undefined; sources: Record<string, string>; warnings: string[] }): ServerConfig {
  const serverPart: Json = {};
  const bffPart: Json = {};
  for (const [key, value] of Object.entries(raw)) {
    if ((SERVER_KEYS as readonly string[]).includes(key)) serverPart[key] = value;
    else bffPart[key] = value;
  }
  delete serverPart['$schema'];
  const parsed = serverSchema.safeParse(serverPart);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const option = issue.path.map(String).join('.') || '(config)';
    throw new ConfigError(option, `option "${option}" ${issue.message}${sourceNote(meta.sources, option)}`);
  }
  const server = parsed.data;

  // The session store is the server's business; the rest of `session` goes to createBff.
  let store: StoreConfig = { type: 'memory' };
  if (isObject(bffPart['session'])) {
    const { store: rawStore, ...session } = bffPart['session'];
    bffPart['session'] = session;
    if (rawStore !== undefined) {
      if (isObject(rawStore) && ['get', 'set', 'destroy'].every((m) => typeof rawStore[m] === 'function')) {
        store = { type: 'custom', store: rawStore as unknown as SessionStore };
      } else {
        const result = storeSchema.safeParse(rawStore);
        if (!result.success) {
          const issue = result.error.issues[0]!;
          const option = ['session.store', ...issue.path.map(String)].join('.');
          throw new ConfigError(option, `option "${option}" ${issue.message}${sourceNote(meta.sources, option)}`);
        }
        store = result.data;
      }
    }
  }

  let staticConfig: StaticConfig | undefined;
  if (server.static) {
    const dir = server.static.dir;
    const stats = statSafe(dir);
    if (!stats?.isDirectory()) throw new ConfigError('static', `option "static": directory ${dir} not found${sourceNote(meta.sources, 'static.dir')}`);
    if (server.static.fallback && !statSafe(path.join(dir, 'index.html'))?.isFile()) meta.warnings.push(`static directory ${dir} has no index.html: the SPA fallback will answer 404`);
    let immutable: RegExp | undefined;
    if (server.static.immutable) {
      try {
        immutable = new RegExp(server.static.immutable);
      } catch (err) {
        throw new ConfigError('static.immutable', `option "static.immutable" must be a regular expression: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    staticConfig = {
      dir,
      fallback: server.static.fallback,
      ...(server.static.contentSecurityPolicy ? { contentSecurityPolicy: server.static.contentSecurityPolicy } : {}),
      ...(immutable ? { immutable } : {}),
    };
  }

  // An https baseUrl behind plain http needs the proxy's X-Forwarded-Proto, or no Secure cookie can be set.
  if (typeof bffPart['baseUrl'] === 'string' && bffPart['baseUrl'].startsWith('https:') && !server.trustProxy) {
    throw new ConfigError(
      'trustProxy',
      `option "trustProxy" must be true when baseUrl is https: portcullis serves plain http behind a TLS-terminating proxy and needs its X-Forwarded-Proto to send Secure cookies (set "trustProxy": true or PORTCULLIS_TRUST_PROXY=true)`,
    );
  }

  return {
    bff: bffPart as unknown as ConfigBffOptions,
    port: server.port,
    host: server.host,
    static: staticConfig,
    trustProxy: server.trustProxy,
    shutdownTimeout: server.shutdownTimeout,
    readyTimeout: server.readyTimeout,
    logLevel: server.logLevel,
    store,
    file: meta.file,
    sources: meta.sources,
    warnings: meta.warnings,
  };
}

function statSafe(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

/** ` (from PORTCULLIS_X)` for the closest option path that has a recorded source. */
function sourceNote(sources: Record<string, string>, option: string): string {
  let current = option.replace(/\[\d+\]/g, '');
  for (;;) {
    const source = sources[current];
    if (source) return ` (from ${source})`;
    const dot = current.lastIndexOf('.');
    if (dot < 0) return '';
    current = current.slice(0, dot);
  }
}

/**
 * Runs `createBff`'s validation on the config's BFF options (no network).
 * @throws ConfigError naming the option and where its value came from
 */
export async function validateBffOptions(config: ServerConfig): Promise<void> {
  const { createBff } = await import('../bff.ts'); // loaded when needed: `--help` stays fast
  try {
    const bff = createBff({ ...config.bff, logger: silentLogger });
    await bff.close();
  } catch (err) {
    throw toConfigError(err, config);
  }
}

/** A `BffOptionsError` as a {@link ConfigError} that also says where the value came from; other errors unchanged. */
export function toConfigError(err: unknown, config: Pick<ServerConfig, 'sources'>): unknown {
  if (err instanceof BffOptionsError) return new ConfigError(err.option, `${err.message}${sourceNote(config.sources, err.option)}`);
  return err;
}

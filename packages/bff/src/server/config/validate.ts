/**
 * Validation of a merged raw configuration: unknown keys (with the closest
 * known name), the server's own fields, the store, and the shape of the BFF
 * options that `createBff` would otherwise report less helpfully. Messages
 * are written for operators: no schema-library text, no secret values.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ApiRoute, LogoutOptions } from '../../options.ts';
import { LOG_LEVELS } from '../logger.ts';
import { variablesFor } from './env.ts';
import { rejectUnknownKeys } from './keys.ts';
import { parseStore } from './store.ts';
import { ConfigError, getPath, isObject, sourceNote, type ConfigBffOptions, type Json, type ServerConfig, type StaticConfig, type StoreConfig } from './types.ts';

// Records over the option types: adding an option to createBff without listing it here fails to compile.
const BFF_KEYS: Record<keyof ConfigBffOptions, true> = {
  issuer: true,
  clientId: true,
  clientSecret: true,
  baseUrl: true,
  scope: true,
  path: true,
  clientAuthentication: true,
  authorizationParams: true,
  idTokenAlgorithms: true,
  clockTolerance: true,
  refreshSkew: true,
  session: true,
  apis: true,
  logout: true,
  user: true,
  login: true,
  access: true,
  rateLimit: true,
  diagnostics: true,
  provider: true,
  userinfo: true,
  clientPrivateKey: true,
  dpop: true,
  par: true,
  profile: true,
  jwks: true,
};
/** The top-level `createBff` option names a config can hold. */
export const BFF_OPTION_NAMES: readonly string[] = Object.keys(BFF_KEYS);
const SESSION_KEYS: Record<keyof ConfigBffOptions['session'] | 'store', true> = { keys: true, cookieName: true, sameSite: true, store: true, idleTimeout: true, absoluteTimeout: true };
const LOGOUT_KEYS: Record<keyof LogoutOptions, true> = { idTokenHint: true, revokeTokens: true, frontchannel: true };
const API_KEYS: Record<keyof ApiRoute, true> = {
  path: true,
  target: true,
  token: true,
  scope: true,
  resource: true,
  timeout: true,
  maxBodySize: true,
  ws: true,
  responseHeaders: true,
  acr: true,
  maxAge: true,
};
const SERVER_KEYS = ['port', 'host', 'static', 'trustProxy', 'readyRequiresProvider', 'shutdownTimeout', 'readyTimeout', 'logLevel', 'metrics'] as const;
const STATIC_KEYS = ['dir', 'fallback', 'contentSecurityPolicy', 'immutable', 'compress'] as const;
const METRICS_KEYS = ['port', 'host'] as const;
const TOP_KEYS = [...Object.keys(BFF_KEYS), ...SERVER_KEYS, '$schema'];

const ms = (min: number, max: number) =>
  z
    .number({ error: `must be a number of milliseconds (${min}–${max})` })
    .int(`must be a whole number of milliseconds`)
    .min(min, `must be at least ${min} ms`)
    .max(max, `must be at most ${max} ms`);

const serverSchema = z.object({
  port: z.number({ error: 'must be a port number (0–65535)' }).int('must be a whole number').min(0, 'must be at least 0').max(65_535, 'must be at most 65535').default(3000),
  host: z.string({ error: 'must be a host name or address' }).min(1, 'must not be empty').optional(),
  static: z
    .object(
      {
        dir: z.string({ error: 'is required: the directory of the SPA build' }),
        fallback: z.boolean({ error: 'must be true or false' }).default(true),
        contentSecurityPolicy: z.string({ error: 'must be a string (a Content-Security-Policy header value)' }).min(1, 'must not be empty').optional(),
        immutable: z.string({ error: 'must be a regular expression, as a string' }).min(1, 'must not be empty').optional(),
        compress: z.boolean({ error: 'must be true or false' }).default(true),
      },
      { error: 'must be the directory of the SPA build, or { "dir", "fallback", "contentSecurityPolicy", "immutable", "compress" }' },
    )
    .optional(),
  trustProxy: z
    .union([z.boolean(), z.number().int().min(0).max(10)], { error: 'must be false, true (one proxy) or the number of proxies in front (0–10)' })
    .transform((v) => (v === true ? 1 : v === false ? 0 : v))
    .default(0),
  readyRequiresProvider: z.boolean({ error: 'must be true or false' }).default(false),
  shutdownTimeout: ms(0, 600_000).default(10_000),
  readyTimeout: ms(100, 60_000).default(2000),
  logLevel: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  metrics: z
    .object(
      {
        port: z
          .number({ error: (issue) => (issue.input === undefined ? 'is required: the port of the /metrics listener (PORTCULLIS_METRICS_PORT)' : 'must be a port number (0–65535)') })
          .int('must be a whole number')
          .min(0, 'must be at least 0')
          .max(65_535, 'must be at most 65535'),
        host: z.string({ error: 'must be a host name or address' }).min(1, 'must not be empty').default('127.0.0.1'),
      },
      { error: 'must be { "port": 9464, "host": "127.0.0.1" }' },
    )
    .optional(),
});

/** Checks and splits the merged raw configuration into a {@link ServerConfig}. */
export function validate(raw: Json, meta: { file: string | undefined; sources: Record<string, string>; warnings: string[] }): ServerConfig {
  const { sources } = meta;
  checkShape(raw, sources);
  const serverPart: Json = {};
  const bffPart: Json = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === '$schema') continue;
    if ((SERVER_KEYS as readonly string[]).includes(key)) serverPart[key] = value;
    else bffPart[key] = value;
  }
  const parsed = serverSchema.safeParse(serverPart);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const option = issue.path.map(String).join('.') || 'static';
    throw new ConfigError(option, `option "${option}" ${friendly(issue.message)}${sourceNote(sources, option)}`);
  }
  const server = parsed.data;
  if (server.metrics && server.metrics.port !== 0 && server.metrics.port === server.port) {
    throw new ConfigError(
      'metrics.port',
      `option "metrics.port" must differ from "port" (${server.port}): /metrics has its own listener and is never served on the public port${sourceNote(sources, 'metrics.port')}`,
    );
  }

  // The session store is the server's business; the rest of `session` goes to createBff.
  let store: StoreConfig = { type: 'memory' };
  if (isObject(bffPart['session'])) {
    const { store: rawStore, ...session } = bffPart['session'];
    bffPart['session'] = session;
    if (rawStore !== undefined) store = parseStore(rawStore, sources);
  }

  // An https baseUrl behind plain http needs the proxy's X-Forwarded-Proto, or no Secure cookie can be set.
  if (typeof bffPart['baseUrl'] === 'string' && bffPart['baseUrl'].startsWith('https:') && server.trustProxy === 0) {
    throw new ConfigError(
      'trustProxy',
      `option "trustProxy" must be set when baseUrl is https: portcullis serves plain http behind a TLS-terminating proxy and needs its X-Forwarded-Proto to send Secure cookies (set "trustProxy" to the number of proxies in front, usually 1: "trustProxy": 1 or PORTCULLIS_TRUST_PROXY=1)`,
    );
  }

  return {
    bff: bffPart as unknown as ConfigBffOptions,
    port: server.port,
    host: server.host,
    static: server.static ? staticConfig(server.static, sources, meta.warnings) : undefined,
    trustProxy: server.trustProxy,
    readyRequiresProvider: server.readyRequiresProvider,
    shutdownTimeout: server.shutdownTimeout,
    readyTimeout: server.readyTimeout,
    logLevel: server.logLevel,
    metrics: server.metrics,
    store,
    file: meta.file,
    sources,
    warnings: meta.warnings,
  };
}

/** Unknown keys at every level we know, and `session.keys` as a list. */
function checkShape(raw: Json, sources: Record<string, string>): void {
  rejectUnknownKeys(raw, TOP_KEYS, '', sources, { logger: 'is the server\'s own (JSON lines on stdout): set "logLevel" (PORTCULLIS_LOG_LEVEL) instead' });
  if (isObject(raw['static'])) rejectUnknownKeys(raw['static'], STATIC_KEYS, 'static', sources);
  if (isObject(raw['metrics'])) rejectUnknownKeys(raw['metrics'], METRICS_KEYS, 'metrics', sources);
  if (isObject(raw['logout'])) rejectUnknownKeys(raw['logout'], Object.keys(LOGOUT_KEYS), 'logout', sources);
  if (Array.isArray(raw['apis'])) raw['apis'].forEach((api, i) => isObject(api) && rejectUnknownKeys(api, Object.keys(API_KEYS), `apis[${i}]`, sources));
  const session = raw['session'];
  if (session === undefined) return;
  if (!isObject(session)) throw new ConfigError('session', `option "session" must be an object: { "keys": [...] }${sourceNote(sources, 'session')}`);
  rejectUnknownKeys(session, Object.keys(SESSION_KEYS), 'session', sources);
  const keys = session['keys'];
  // The value is a secret: say what is wrong with its shape, never what it is.
  if (keys !== undefined && !Array.isArray(keys)) {
    throw new ConfigError(
      'session.keys',
      `option "session.keys" must be a list of keys, e.g. ["<at least 32 characters>"], not a ${typeof keys} (${variablesFor('session.keys')} take them comma-separated)${sourceNote(sources, 'session.keys')}`,
    );
  }
}

function staticConfig(
  value: { dir: string; fallback: boolean; contentSecurityPolicy?: string | undefined; immutable?: string | undefined; compress: boolean },
  sources: Record<string, string>,
  warnings: string[],
): StaticConfig {
  const { dir } = value;
  const stats = statSafe(dir);
  if (!stats?.isDirectory()) throw new ConfigError('static', `option "static": directory ${dir} not found${sourceNote(sources, 'static.dir')}`);
  if (value.fallback && !statSafe(path.join(dir, 'index.html'))?.isFile()) warnings.push(`static directory ${dir} has no index.html: the SPA fallback will answer 404`);
  let immutable: RegExp | undefined;
  if (value.immutable) {
    try {
      immutable = new RegExp(value.immutable);
    } catch (err) {
      throw new ConfigError('static.immutable', `option "static.immutable" must be a regular expression: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return {
    dir,
    fallback: value.fallback,
    compress: value.compress,
    ...(value.contentSecurityPolicy ? { contentSecurityPolicy: value.contentSecurityPolicy } : {}),
    ...(immutable ? { immutable } : {}),
  };
}

function statSafe(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

/** Options `createBff` cannot run without, and where each can come from. */
const REQUIRED = ['issuer', 'clientId', 'clientSecret', 'baseUrl', 'session.keys'] as const;
/** With private_key_jwt the key replaces the secret. */
const REQUIRED_WITH_KEY = ['issuer', 'clientId', 'clientPrivateKey', 'baseUrl', 'session.keys'] as const;

/**
 * Fails for the first required BFF option that no source set, naming the
 * `PORTCULLIS_*` variable (and `*_FILE` for secrets) that supplies it.
 */
export function requireBffOptions(config: Pick<ServerConfig, 'bff'>): void {
  const keyed = config.bff.clientAuthentication === 'private_key_jwt' || (config.bff.profile === 'fapi2' && config.bff.clientAuthentication === undefined);
  for (const option of keyed ? REQUIRED_WITH_KEY : REQUIRED) {
    const value = getPath(config.bff as unknown as Json, option);
    if (value !== undefined && value !== '') continue;
    const inFile = option === 'session.keys' ? '"session": { "keys": [...] }' : `"${option}"`;
    // A key without the method that uses it: say which switch is missing, not only that a secret is.
    const keyWithoutMethod = option === 'clientSecret' && getPath(config.bff as unknown as Json, 'clientPrivateKey') !== undefined;
    const hint = keyWithoutMethod
      ? ' (a clientPrivateKey is set: to authenticate with it, set PORTCULLIS_CLIENT_AUTHENTICATION=private_key_jwt or "clientAuthentication": "private_key_jwt", or PORTCULLIS_PROFILE=fapi2)'
      : '';
    throw new ConfigError(option, `option "${option}" is required: set ${variablesFor(option)}, or ${inFile} in the config file${hint}`);
  }
}

/** A schema library's generic text in operator words (`Invalid input: expected number, received string` -> `must be a number`). */
export function friendly(message: string): string {
  const type = /^Invalid input: expected (\w+), received (\w+)/.exec(message);
  if (type) {
    const expected = type[1] === 'array' ? 'a list' : type[1] === 'object' ? 'an object' : `a ${type[1]}`;
    return type[2] === 'undefined' ? `is required (${expected})` : `must be ${expected}, not a ${type[2]}`;
  }
  const bound = /^Too (small|big): expected \w+ to (?:be|have) ([<>]=?)\s*(\S+)/.exec(message);
  if (bound) return `must be ${bound[2]!.startsWith('>') ? 'at least' : 'at most'} ${bound[3]}`;
  if (/^Invalid input/.test(message)) return 'has an invalid value';
  return message;
}

/**
 * Loading: the config file (JSON, or a JS/TS module whose default export is
 * the object or a function returning it), then environment variables, then
 * the few non-secret command-line flags, each overriding the one before.
 * Secrets written in the file as `{ "file": … }` / `{ "env": … }` are
 * resolved here.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { applyEnv, parseEnv, readSecretFile, splitKeys } from './env.ts';
import { ConfigError, getPath, isObject, setPath, type Json, type ServerConfig } from './types.ts';
import { validate } from './validate.ts';

/** The non-secret command-line overrides. */
export interface ConfigFlags {
  port?: string;
  host?: string;
  static?: string;
  /** `--trust-proxy` (true: one proxy) or `--trust-proxy=<n|true|false>`. */
  trustProxy?: boolean | string;
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
  await resolveSecretRefs(raw, { baseDir: fileDir, env, label: fileLabel });

  applyEnv(raw, env, cwd, sources, warnings);

  // Flags override everything (none of them is a secret).
  const flags = input.flags ?? {};
  const flagValues: Array<[string, string, unknown]> = [];
  if (flags.port !== undefined) flagValues.push(['port', '--port', parseEnv({ name: '--port', option: 'port', kind: 'int', description: '' }, flags.port, '--port')]);
  if (flags.host !== undefined) flagValues.push(['host', '--host', flags.host]);
  if (flags.static !== undefined) flagValues.push(['static.dir', '--static', path.resolve(cwd, flags.static)]);
  if (flags.trustProxy !== undefined) {
    const value =
      typeof flags.trustProxy === 'boolean' ? flags.trustProxy : parseEnv({ name: '--trust-proxy', option: 'trustProxy', kind: 'hops', description: '' }, flags.trustProxy, '--trust-proxy');
    flagValues.push(['trustProxy', '--trust-proxy', value]);
  }
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
    throw new ConfigError('--config', `config file ${file}: use .json, .js, .mjs or .ts (also .cjs and .mts)`);
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

/** The option paths whose values may be `{ "file": … }` or `{ "env": … }` in a config file (lists: each item too). */
const SECRET_OPTIONS = ['clientSecret', 'clientPrivateKey', 'session.keys', 'session.store.url', 'session.store.cluster', 'session.store.password', 'session.store.sentinelPassword'] as const;

interface RefContext {
  baseDir: string;
  env: NodeJS.ProcessEnv;
  label: string;
}

async function resolveSecretRefs(raw: Json, context: RefContext): Promise<void> {
  for (const option of SECRET_OPTIONS) {
    const value = getPath(raw, option);
    if (value === undefined) continue;
    const isList = option === 'session.keys' || option === 'session.store.cluster';
    if (isList && isObject(value)) {
      const text = resolveRef(value, option, context);
      setPath(
        raw,
        option,
        option === 'session.keys'
          ? splitKeys(text)
          : text
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
      );
    } else if (isList && Array.isArray(value)) {
      setPath(
        raw,
        option,
        value.map((item, i) => (isObject(item) ? resolveRef(item, `${option}[${i}]`, context) : item)),
      );
    } else if (isObject(value) && !(option === 'clientPrivateKey' && 'kty' in value)) {
      // (A private JWK written inline is the key itself, not a reference.)
      setPath(raw, option, resolveRef(value, option, context));
    }
  }
}

function resolveRef(ref: Json, option: string, context: RefContext): string {
  const keys = Object.keys(ref);
  if (keys.length === 1 && typeof ref['file'] === 'string') return readSecretFile(path.resolve(context.baseDir, ref['file']), option);
  if (keys.length === 1 && typeof ref['env'] === 'string') {
    const value = context.env[ref['env']];
    if (value === undefined || value === '') throw new ConfigError(option, `option "${option}" reads environment variable ${ref['env']}, which is not set (${context.label})`);
    return value;
  }
  throw new ConfigError(option, `option "${option}" must be a string, { "file": "/path" } or { "env": "NAME" } (${context.label})`);
}

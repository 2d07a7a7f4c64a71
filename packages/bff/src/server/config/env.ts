/**
 * Environment variables: the table of every `PORTCULLIS_*` variable, their
 * parsing, `*_FILE` secrets, and how they are applied over the config file.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, getPath, setPath, type Json } from './types.ts';

type Kind = 'string' | 'int' | 'number' | 'bool' | 'auto' | 'hops' | 'csv' | 'json' | 'dpop';

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

/** Every environment variable the server reads (DEPLOY.md's table lists the same). */
export const ENV_VARIABLES: readonly EnvVariable[] = [
  { name: 'PORTCULLIS_ISSUER', option: 'issuer', kind: 'string', description: 'The provider issuer URL.' },
  { name: 'PORTCULLIS_CLIENT_ID', option: 'clientId', kind: 'string', description: 'The BFF client id at the provider.' },
  { name: 'PORTCULLIS_CLIENT_SECRET', option: 'clientSecret', kind: 'string', secret: true, description: 'The client secret.' },
  { name: 'PORTCULLIS_BASE_URL', option: 'baseUrl', kind: 'string', description: 'Public origin of the SPA and the BFF.' },
  { name: 'PORTCULLIS_PROVIDER', option: 'provider', kind: 'string', description: 'Provider profile: generic (default), keycloak, entra, auth0, okta, cognito or google.' },
  { name: 'PORTCULLIS_USERINFO', option: 'userinfo', kind: 'auto', description: 'Merge userinfo claims at login and after each refresh: true, false or auto (default: per provider).' },
  { name: 'PORTCULLIS_SCOPE', option: 'scope', kind: 'string', description: 'Scopes to request (space-separated).' },
  { name: 'PORTCULLIS_PATH', option: 'path', kind: 'string', description: 'Path of the BFF endpoints (default /bff).' },
  {
    name: 'PORTCULLIS_CLIENT_AUTHENTICATION',
    option: 'clientAuthentication',
    kind: 'string',
    description: 'client_secret_basic, client_secret_post or private_key_jwt (default: per provider; private_key_jwt with profile fapi2).',
  },
  { name: 'PORTCULLIS_CLIENT_PRIVATE_KEY', option: 'clientPrivateKey', kind: 'string', secret: true, description: 'The private key of private_key_jwt: PEM or a private JWK as JSON.' },
  { name: 'PORTCULLIS_PROFILE', option: 'profile', kind: 'string', description: 'fapi2: the FAPI 2.0 Security Profile (PAR, DPoP, private_key_jwt, iss required).' },
  { name: 'PORTCULLIS_DPOP', option: 'dpop', kind: 'dpop', description: 'DPoP-bound tokens: true, false, ES256 or EdDSA (the proof algorithm).' },
  { name: 'PORTCULLIS_PAR', option: 'par', kind: 'auto', description: 'Pushed authorization requests: true, false or auto (default: when the provider requires them).' },
  { name: 'PORTCULLIS_JWKS', option: 'jwks', kind: 'bool', description: 'Serve GET /bff/jwks: the public key of the private_key_jwt key.' },
  { name: 'PORTCULLIS_AUTHORIZATION_PARAMS', option: 'authorizationParams', kind: 'json', description: 'Extra authorization parameters, JSON object.' },
  { name: 'PORTCULLIS_ID_TOKEN_ALGORITHMS', option: 'idTokenAlgorithms', kind: 'csv', description: 'Accepted ID token algorithms, comma-separated.' },
  { name: 'PORTCULLIS_CLOCK_TOLERANCE', option: 'clockTolerance', kind: 'number', description: 'Clock tolerance, seconds.' },
  { name: 'PORTCULLIS_REFRESH_SKEW', option: 'refreshSkew', kind: 'number', description: 'Refresh an access token that expires within this many seconds (default 60).' },
  {
    name: 'PORTCULLIS_SESSION_KEYS',
    option: 'session.keys',
    kind: 'csv',
    secret: true,
    description: 'Session keys, comma-separated: the first signs the cookie and encrypts the tokens at rest, all verify and decrypt.',
  },
  { name: 'PORTCULLIS_SESSION_COOKIE_NAME', option: 'session.cookieName', kind: 'string', description: 'Session cookie name (default portcullis).' },
  { name: 'PORTCULLIS_SESSION_SAME_SITE', option: 'session.sameSite', kind: 'string', description: 'strict or lax.' },
  { name: 'PORTCULLIS_SESSION_IDLE_TIMEOUT', option: 'session.idleTimeout', kind: 'int', description: 'Idle timeout, seconds.' },
  { name: 'PORTCULLIS_SESSION_ABSOLUTE_TIMEOUT', option: 'session.absoluteTimeout', kind: 'int', description: 'Absolute session lifetime, seconds.' },
  { name: 'PORTCULLIS_SESSION_STORE', option: 'session.store.type', kind: 'string', description: 'memory or redis (implied by the other store variables).' },
  { name: 'PORTCULLIS_MEMORY_MAX_ENTRIES', option: 'session.store.maxEntries', kind: 'int', description: 'Most sessions the memory store keeps (default 10000).' },
  { name: 'PORTCULLIS_REDIS_URL', option: 'session.store.url', kind: 'string', secret: true, description: 'redis:// or rediss:// URL of one Redis.' },
  { name: 'PORTCULLIS_REDIS_CLUSTER', option: 'session.store.cluster', kind: 'csv', secret: true, description: 'Redis Cluster seed nodes, comma-separated redis:// URLs.' },
  { name: 'PORTCULLIS_REDIS_SENTINELS', option: 'session.store.sentinels', kind: 'csv', description: 'Redis Sentinels, comma-separated host:port.' },
  { name: 'PORTCULLIS_REDIS_SENTINEL_NAME', option: 'session.store.name', kind: 'string', description: 'Name of the primary the sentinels monitor.' },
  { name: 'PORTCULLIS_REDIS_PASSWORD', option: 'session.store.password', kind: 'string', secret: true, description: 'Redis password (any Redis mode).' },
  { name: 'PORTCULLIS_REDIS_SENTINEL_PASSWORD', option: 'session.store.sentinelPassword', kind: 'string', secret: true, description: 'Password of the sentinels themselves.' },
  { name: 'PORTCULLIS_REDIS_TLS', option: 'session.store.tls', kind: 'bool', description: 'TLS to Redis (or use rediss:// URLs).' },
  { name: 'PORTCULLIS_APIS', option: 'apis', kind: 'json', description: 'Proxied APIs, JSON array of { path, target, token, … }.' },
  { name: 'PORTCULLIS_LOGOUT_ID_TOKEN_HINT', option: 'logout.idTokenHint', kind: 'auto', description: 'Send id_token_hint at logout: true, false or auto (default: per provider).' },
  { name: 'PORTCULLIS_LOGOUT_REVOKE_TOKENS', option: 'logout.revokeTokens', kind: 'bool', description: 'Revoke the refresh token at logout.' },
  { name: 'PORTCULLIS_LOGOUT_FRONTCHANNEL', option: 'logout.frontchannel', kind: 'bool', description: 'Serve GET /bff/frontchannel-logout (providers without back-channel logout).' },
  { name: 'PORTCULLIS_RATE_LIMIT', option: 'rateLimit', kind: 'json', description: 'Login/callback rate limit per IP, JSON { "max", "windowSeconds" } or false.' },
  { name: 'PORTCULLIS_DIAGNOSTICS', option: 'diagnostics', kind: 'bool', description: 'Serve GET /bff/diagnostics (expiries, never token values).' },
  { name: 'PORTCULLIS_PORT', option: 'port', kind: 'int', description: 'Port to listen on (default 3000).' },
  { name: 'PORTCULLIS_HOST', option: 'host', kind: 'string', description: 'Interface to listen on (default all).' },
  { name: 'PORTCULLIS_STATIC', option: 'static.dir', kind: 'string', description: 'Directory of the SPA build to serve.' },
  { name: 'PORTCULLIS_STATIC_FALLBACK', option: 'static.fallback', kind: 'bool', description: 'SPA fallback to index.html (default true).' },
  { name: 'PORTCULLIS_STATIC_COMPRESS', option: 'static.compress', kind: 'bool', description: 'Compress text files on the fly (default true).' },
  { name: 'PORTCULLIS_STATIC_CSP', option: 'static.contentSecurityPolicy', kind: 'string', description: 'Content-Security-Policy of HTML responses.' },
  { name: 'PORTCULLIS_TRUST_PROXY', option: 'trustProxy', kind: 'hops', description: 'Reverse proxies in front that append X-Forwarded-For: false, true (= 1) or a number.' },
  { name: 'PORTCULLIS_READY_REQUIRES_PROVIDER', option: 'readyRequiresProvider', kind: 'bool', description: '/readyz fails while the provider fails (default false: reported only).' },
  { name: 'PORTCULLIS_SHUTDOWN_TIMEOUT', option: 'shutdownTimeout', kind: 'int', description: 'Grace period for in-flight requests, ms (default 10000).' },
  { name: 'PORTCULLIS_READY_TIMEOUT', option: 'readyTimeout', kind: 'int', description: 'Timeout of each /readyz check, ms (default 2000).' },
  { name: 'PORTCULLIS_METRICS_PORT', option: 'metrics.port', kind: 'int', description: 'Serve Prometheus metrics (GET /metrics) on this port (default: off).' },
  { name: 'PORTCULLIS_METRICS_HOST', option: 'metrics.host', kind: 'string', description: 'Interface of the metrics listener (default 127.0.0.1).' },
  { name: 'PORTCULLIS_LOG_LEVEL', option: 'logLevel', kind: 'string', description: 'fatal, error, warn, info (default), debug, trace or silent.' },
];

/** Variables that are not options. */
export const OTHER_ENV_VARIABLES: readonly { name: string; description: string }[] = [
  { name: 'PORTCULLIS_CONFIG', description: 'Config file path (instead of --config).' },
  ...ENV_VARIABLES.filter((v) => v.secret).map((v) => ({ name: `${v.name}_FILE`, description: `File holding ${v.name} (trailing newline ignored).` })),
];

/** The variables that can set `option`, for messages: `PORTCULLIS_CLIENT_SECRET or PORTCULLIS_CLIENT_SECRET_FILE`. */
export function variablesFor(option: string): string | undefined {
  const variable = ENV_VARIABLES.find((v) => v.option === option);
  if (!variable) return undefined;
  return variable.secret ? `${variable.name} or ${variable.name}_FILE` : variable.name;
}

/** Store variables that select a store type when PORTCULLIS_SESSION_STORE is not set. */
const IMPLIED_STORE: Record<string, 'memory' | 'redis'> = {
  'session.store.maxEntries': 'memory',
  'session.store.url': 'redis',
  'session.store.cluster': 'redis',
  'session.store.sentinels': 'redis',
};

/** Applies the environment over `raw` (the file's content), recording sources and warnings. */
export function applyEnv(raw: Json, env: NodeJS.ProcessEnv, cwd: string, sources: Record<string, string>, warnings: string[]): void {
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
    const implied = IMPLIED_STORE[variable.option];
    // A Redis variable overrides the file's store type, as any variable overrides the file;
    // the memory store's size only fills in a missing type (with redis it is an error, said later).
    if (implied && env['PORTCULLIS_SESSION_STORE'] === undefined && (implied === 'redis' || getPath(raw, 'session.store.type') === undefined)) {
      setPath(raw, 'session.store.type', implied);
    }
  }
}

/** Reads a secret file (trailing newlines dropped); the error names the file, never its content. */
export function readSecretFile(file: string, option: string): string {
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
export const splitKeys = (text: string): string[] =>
  text
    .split(/[,\r\n]+/)
    .map((k) => k.trim())
    .filter(Boolean);

/** Parses one variable's text; a secret's value never appears in the error. */
export function parseEnv(variable: EnvVariable, text: string, source: string): unknown {
  const fail = (what: string): never => {
    throw new ConfigError(source, `${source} ${what} (sets option "${variable.option}")`);
  };
  const shown = variable.secret ? '' : `, got "${text}"`;
  const t = text.trim().toLowerCase();
  switch (variable.kind) {
    case 'string':
      return text;
    case 'int':
      if (!/^\d+$/.test(t)) fail(`must be a whole number${shown}`);
      return Number(t);
    case 'number': {
      const n = Number(t);
      if (t === '' || !Number.isFinite(n)) fail(`must be a number${shown}`);
      return n;
    }
    case 'bool':
    case 'auto':
    case 'hops': {
      if (variable.kind === 'auto' && t === 'auto') return 'auto';
      if (['true', 'yes', 'on'].includes(t)) return true;
      if (['false', 'no', 'off'].includes(t)) return false;
      if (variable.kind === 'hops' && /^\d+$/.test(t)) return Number(t);
      if (t === '1' || t === '0') return t === '1';
      return fail(`must be ${variable.kind === 'hops' ? 'true, false or a number of proxies' : variable.kind === 'auto' ? 'true, false or auto' : 'true or false'}${shown}`);
    }
    case 'dpop':
      if (['true', 'yes', 'on', '1'].includes(t)) return true;
      if (['false', 'no', 'off', '0'].includes(t)) return false;
      if (t === 'es256' || t === 'eddsa') return { alg: t === 'es256' ? 'ES256' : 'EdDSA' };
      return fail(`must be true, false, ES256 or EdDSA${shown}`);
    case 'csv':
      return variable.option === 'session.keys'
        ? splitKeys(text)
        : text
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
    case 'json':
      try {
        return JSON.parse(text);
      } catch (err) {
        return fail(`must be JSON: ${err instanceof Error ? err.message : String(err)}`);
      }
  }
}

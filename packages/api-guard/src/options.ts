/**
 * Options of {@link requireAccessToken}, validated once when the middleware is
 * created. Every message names the option and says what to fix.
 *
 * @packageDocumentation
 */

/**
 * JWS algorithms that may be allowed. Only asymmetric ones: `none` and the
 * `HS*` family are never accepted (an `HS256` token "signed" with the issuer's
 * public key as HMAC secret must never verify).
 */
export type JwsAlgorithm =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519';

/** Options of RFC 7662 token introspection, used for opaque (non-JWT) tokens. */
export interface IntrospectionOptions {
  /** The resource server's own client_id at the authorization server. */
  clientId: string;
  /** Its client secret, sent with `client_secret_basic`. */
  clientSecret: string;
  /**
   * Seconds an active introspection result is reused (never beyond the
   * token's `exp`). `0` disables the cache. Default `30`, at most `300`.
   */
  cacheTtl?: number;
  /** Most cached results kept; the least recently used go first. Default `1000`. */
  cacheMaxEntries?: number;
}

/** Options of {@link requireAccessToken}. */
export interface RequireAccessTokenOptions {
  /**
   * The authorization server's issuer identifier, exactly as in its metadata
   * (an https URL; http is allowed for localhost). Discovery is fetched from
   * `<issuer>/.well-known/openid-configuration`, falling back to RFC 8414
   * `/.well-known/oauth-authorization-server`.
   */
  issuer: string;
  /** This API's audience (resource indicator). A token must name at least one of them in `aud`. */
  audience: string | readonly string[];
  /** Scopes every request needs (all of them). Default none. */
  scopes?: readonly string[];
  /** Allowed JWS algorithms. Default `['RS256', 'PS256', 'ES256', 'EdDSA']`. */
  algorithms?: readonly JwsAlgorithm[];
  /** Seconds of clock skew tolerated for `exp`, `nbf` and `iat`. Default `5`, at most `300`. */
  clockTolerance?: number;
  /** `realm` of the `WWW-Authenticate` challenge. Default none. */
  realm?: string;
  /** Enables introspection of opaque tokens. Default off: opaque tokens are rejected. */
  introspection?: IntrospectionOptions;
  /** Milliseconds allowed for each call to the authorization server. Default `5000`. */
  timeout?: number;
  /**
   * Seconds after a JWKS fetch during which a token naming an unknown `kid`
   * does not trigger another fetch (jose's `cooldownDuration`). Default `30`,
   * at most `600`. `0` picks up a rotated key at once but lets every token
   * with an unknown `kid` cause a JWKS request: keep it for demos and tests.
   */
  jwksCooldown?: number;
}

/** @internal Options after validation, with defaults applied. */
export interface ResolvedOptions {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly scopes: readonly string[];
  readonly algorithms: readonly JwsAlgorithm[];
  readonly clockTolerance: number;
  readonly realm: string | undefined;
  readonly introspection: Readonly<Required<IntrospectionOptions>> | undefined;
  readonly timeout: number;
  readonly jwksCooldown: number;
}

/** The algorithms allowed when the `algorithms` option is not given. */
export const DEFAULT_ALGORITHMS: readonly JwsAlgorithm[] = Object.freeze(['RS256', 'PS256', 'ES256', 'EdDSA']);

const SUPPORTED_ALGORITHMS: ReadonlySet<string> = new Set<JwsAlgorithm>([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
]);

const KNOWN_OPTIONS = [
  'issuer', 'audience', 'scopes', 'algorithms', 'clockTolerance', 'realm', 'introspection', 'timeout', 'jwksCooldown',
] as const;
const KNOWN_INTROSPECTION_OPTIONS = ['clientId', 'clientSecret', 'cacheTtl', 'cacheMaxEntries'] as const;

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const LOCALHOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Describes a value for an error message without echoing long or secret input. */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function fail(option: string, requirement: string, value?: unknown, showValue = true): never {
  const got = showValue ? `, got ${describe(value)}` : '';
  throw new TypeError(`api-guard: option "${option}" ${requirement}${got}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejectUnknown(input: Record<string, unknown>, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `api-guard: unknown option "${prefix}${key}" (known options: ${known.map((k) => prefix + k).join(', ')})`,
      );
    }
  }
}

function resolveIssuer(value: unknown): string {
  const requirement = 'must be an absolute https URL (http allowed for localhost)';
  if (typeof value !== 'string' || value === '') fail('issuer', requirement, value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail('issuer', requirement, value);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOCALHOSTS.has(url.hostname))) {
    fail('issuer', requirement, value);
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || value.includes('#')) {
    fail('issuer', 'must not contain credentials, a query or a fragment (RFC 8414 §2)', value);
  }
  return value;
}

function resolveAudience(value: unknown): readonly string[] {
  const requirement = 'must be a non-empty string or a non-empty array of non-empty strings';
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) fail('audience', requirement, value);
  for (const item of list) {
    if (typeof item !== 'string' || item === '') fail('audience', requirement, item);
  }
  return Object.freeze([...(list as string[])]);
}

/**
 * Validates a list of scope names (RFC 6749 §3.3 scope-token syntax).
 * @internal
 */
export function resolveScopes(value: unknown, option: string): readonly string[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value)) {
    fail(option, 'must be an array of scope names (e.g. ["orders:read"])', value);
  }
  for (const scope of value) {
    if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) {
      fail(option, 'must contain scope names without spaces, quotes or backslashes', scope);
    }
  }
  return Object.freeze([...new Set(value as string[])]);
}

function resolveAlgorithms(value: unknown): readonly JwsAlgorithm[] {
  if (value === undefined) return DEFAULT_ALGORITHMS;
  if (!Array.isArray(value) || value.length === 0) {
    fail('algorithms', 'must be a non-empty array of JWS algorithms (e.g. ["RS256"])', value);
  }
  for (const alg of value) {
    if (typeof alg === 'string' && alg.toLowerCase() === 'none') {
      fail('algorithms', 'must not contain "none": unsigned tokens are never accepted', alg);
    }
    if (typeof alg === 'string' && /^HS\d+$/i.test(alg)) {
      fail('algorithms', 'must not contain HS* algorithms: symmetric tokens are never accepted (the issuer\'s public key could be used as the HMAC secret)', alg);
    }
    if (typeof alg !== 'string' || !SUPPORTED_ALGORITHMS.has(alg)) {
      fail('algorithms', `must contain only ${[...SUPPORTED_ALGORITHMS].join(', ')}`, alg);
    }
  }
  return Object.freeze([...new Set(value as JwsAlgorithm[])]);
}

function resolveNumber(
  value: unknown,
  option: string,
  fallback: number,
  { min, max, integer }: { min: number; max: number; integer: boolean },
  unit: string,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    fail(option, `must be ${integer ? 'an integer' : 'a number'} of ${unit} from ${min} to ${max}`, value);
  }
  return value;
}

function resolveRealm(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[\x20-\x7e]+$/.test(value)) {
    fail('realm', 'must be a non-empty string of printable ASCII characters', value);
  }
  return value;
}

function resolveIntrospection(value: unknown): Readonly<Required<IntrospectionOptions>> | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) {
    fail('introspection', 'must be an object { clientId, clientSecret, cacheTtl?, cacheMaxEntries? }', value);
  }
  rejectUnknown(value, KNOWN_INTROSPECTION_OPTIONS, 'introspection.');
  const { clientId, clientSecret } = value;
  if (typeof clientId !== 'string' || clientId === '') {
    fail('introspection.clientId', 'must be the API\'s non-empty client_id at the authorization server', clientId);
  }
  if (typeof clientSecret !== 'string' || clientSecret === '') {
    // Never echo a secret, not even a wrong one.
    fail('introspection.clientSecret', 'must be a non-empty string (the API\'s client secret)', undefined, false);
  }
  return Object.freeze({
    clientId,
    clientSecret,
    cacheTtl: resolveNumber(value.cacheTtl, 'introspection.cacheTtl', 30, { min: 0, max: 300, integer: false }, 'seconds'),
    cacheMaxEntries: resolveNumber(
      value.cacheMaxEntries, 'introspection.cacheMaxEntries', 1000, { min: 1, max: 1_000_000, integer: true }, 'entries',
    ),
  });
}

/**
 * Validates {@link RequireAccessTokenOptions} and applies defaults.
 * @throws TypeError naming the offending option.
 * @internal
 */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (!isPlainObject(options)) {
    throw new TypeError(`api-guard: options must be an object { issuer, audience, … }, got ${describe(options)}`);
  }
  rejectUnknown(options, KNOWN_OPTIONS, '');
  return Object.freeze({
    issuer: resolveIssuer(options.issuer),
    audience: resolveAudience(options.audience),
    scopes: resolveScopes(options.scopes, 'scopes'),
    algorithms: resolveAlgorithms(options.algorithms),
    clockTolerance: resolveNumber(options.clockTolerance, 'clockTolerance', 5, { min: 0, max: 300, integer: false }, 'seconds'),
    realm: resolveRealm(options.realm),
    introspection: resolveIntrospection(options.introspection),
    timeout: resolveNumber(options.timeout, 'timeout', 5000, { min: 1, max: 60_000, integer: true }, 'milliseconds'),
    jwksCooldown: resolveNumber(options.jwksCooldown, 'jwksCooldown', 30, { min: 0, max: 600, integer: false }, 'seconds'),
  });
}

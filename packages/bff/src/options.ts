/**
 * The options of `createBff`: their types, documented defaults, and the
 * validation that runs once at start-up. A wrong option throws a
 * {@link BffOptionsError} that names the option and says what to fix.
 */
import { z } from 'zod';
import type { SessionStore } from './session/store.ts';
import type { BffEvents } from './events.ts';
import type { BffLogger } from './logger.ts';
import { PROVIDER_NAMES, resolveProfile, type ProviderName, type ProviderProfile } from './protocol/profiles.ts';

/** Which token a proxied API route receives (names as in Duende BFF). */
export type ApiTokenType = 'user' | 'client' | 'userOrClient' | 'none';

/** One proxied API route: requests under `path` go to `target`. */
export interface ApiRoute {
  /** Path prefix on the BFF, e.g. `/api/todos`. Matches the prefix itself and everything below it. */
  path: string;
  /** Absolute URL the prefix maps to, e.g. `http://localhost:4001/todos`. */
  target: string;
  /** Which bearer token to attach. Default `'user'`. */
  token?: ApiTokenType;
  /** Scope to request for `client` tokens (space-separated). */
  scope?: string;
  /** RFC 8707 resource indicator for `client` tokens. */
  resource?: string;
  /** Upstream timeout in milliseconds. Default 30 000. */
  timeout?: number;
  /** Largest request body forwarded, in bytes; larger ones get 413. Default 10 MiB. */
  maxBodySize?: number;
  /**
   * Proxy WebSocket upgrades on this route. Default `false`. Browsers cannot add `X-CSRF`
   * to a WebSocket handshake, so the `Origin` header must equal `baseUrl` instead.
   * Needs `server.on('upgrade', bff.upgrade)`.
   */
  ws?: boolean;
  /**
   * Response headers of this API that must not reach the browser, beyond the BFF's own list
   * ({@link DENIED_RESPONSE_HEADERS}: cookies, `Clear-Site-Data`, HSTS, `Alt-Svc`, CORS…, which
   * would change how the browser treats the BFF's whole origin). `remove` adds names; `keep`
   * lets some of the default list through (never `Set-Cookie`/`Set-Cookie2`: the BFF owns its
   * origin's cookies).
   */
  responseHeaders?: { remove?: string[]; keep?: string[] };
  /**
   * Step-up (RFC 9470): the session's `acr` (from the ID token) must be one of these, else the
   * SPA gets 401 `step_up_required` with `acr_values` and nothing is proxied. `user` routes only.
   */
  acr?: string[];
  /** Step-up: at most this many seconds since the user authenticated (`auth_time`), else 401 `step_up_required` with `max_age`. */
  maxAge?: number;
}

/** Authorization parameters `/bff/login` may forward from its query string. */
export interface LoginOptions {
  /**
   * Names forwarded to the provider as given (each validated). Default `['prompt', 'max_age',
   * 'acr_values', 'login_hint', 'ui_locales']`; provider-specific ones (`organization`,
   * `screen_hint`…) may be added. Protocol parameters (`scope`, `redirect_uri`, `state`,
   * `nonce`, `code_challenge*`, `request*`, `client_id`, `response_*`) can never be.
   */
  allowedParams?: string[];
}

/** The ID token claims and tokens a login produced, as {@link BffHooks.onLogin} sees them. */
export interface LoginEvent {
  claims: Readonly<Record<string, unknown>>;
  tokens: { readonly accessToken: string; readonly idToken: string; readonly refreshToken?: string; readonly expiresAt: number; readonly scope?: string };
}

/** Application code run at points of a session's life. */
export interface BffHooks {
  /** After the ID token verified, before the session exists: `{ deny: reason }` refuses the login (403, no session). */
  onLogin?(event: LoginEvent): void | { deny: string } | Promise<void | { deny: string }>;
  /** After a session ended: by the user (`rp`), the provider (`backchannel`, `frontchannel`) or from the session list (`sessions`). */
  onLogout?(event: { sub: string; kind: 'rp' | 'backchannel' | 'frontchannel' | 'sessions' }): void | Promise<void>;
  /** After a refresh grant succeeded. */
  onRefresh?(event: { sub: string }): void | Promise<void>;
}

/** A declarative login policy (checked before `hooks.onLogin`). */
export interface AccessPolicy {
  /** The `email` claim must end in `@<one of these>` (case-insensitive) and `email_verified` must not be false. */
  allowedEmailDomains?: string[];
  /** Each claim must equal the value, or (for a list claim such as `groups`) contain it; a list of values means any of them. */
  requiredClaims?: Record<string, string | number | boolean | Array<string | number | boolean>>;
}

/** What `GET /bff/user` shows of the ID token's claims. */
export interface UserOptions {
  /**
   * The claims shown to the SPA: a list of claim names, or a function from all the ID token's
   * claims to the object shown. Default: every claim except protocol and session ones
   * ({@link HIDDEN_CLAIMS}: `sid`, `nonce`, `at_hash`, `auth_time`, `iss`, `aud`, …), which an
   * injected script could otherwise read (the provider's session id, for one).
   */
  claims?: string[] | ((claims: Readonly<Record<string, unknown>>) => Record<string, unknown>);
}

/** Pluggable rate limiting for `/bff/login` and `/bff/callback`. */
export interface RateLimiter {
  /** Counts one hit for `key` (e.g. `login:203.0.113.7`); `allowed: false` refuses it with 429. */
  hit(key: string): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
}

/** Session options. */
export interface SessionOptions {
  /**
   * Keys that sign the session cookie (HMAC-SHA256), each at least 32 characters.
   * The first signs; all verify, so keys can be rotated.
   */
  keys: string[];
  /**
   * Cookie name without the prefix. Default `'portcullis'`, sent as `__Host-portcullis`
   * (the `__Host-` prefix is dropped only for a plain-http localhost `baseUrl`).
   */
  cookieName?: string;
  /** `SameSite` of the session cookie. Default `'strict'`. */
  sameSite?: 'strict' | 'lax';
  /** Where sessions live. Default: a bounded in-memory store. */
  store?: SessionStore;
  /** Idle (sliding) timeout in seconds: a session unused this long ends. Default 86 400 (1 day). */
  idleTimeout?: number;
  /** Absolute lifetime in seconds, whatever the activity. Default 604 800 (7 days). */
  absoluteTimeout?: number;
}

/** Logout options. */
export interface LogoutOptions {
  /**
   * Send `id_token_hint` to the end-session endpoint. Default `'auto'`: only where the `provider`
   * profile says the provider requires it (Okta); never with `generic`, since the ID token would
   * travel through the browser's address bar and history. `true` for other providers that
   * require it (Duende IdentityServer).
   */
  idTokenHint?: boolean | 'auto';
  /**
   * Revoke the refresh token at logout when the provider has a revocation endpoint. Default `true`
   * (the profile's choice: `false` for Entra ID, which has none).
   */
  revokeTokens?: boolean;
  /**
   * Serve `GET /bff/frontchannel-logout` (OpenID Connect Front-Channel Logout 1.0) for providers
   * that have no back-channel logout (Entra ID). Default `false`: it is a cookie-less GET that
   * ends every session of a provider `sid`, so it is mounted only when asked for.
   */
  frontchannel?: boolean;
}

/** Options of {@link createBff}. */
export interface BffOptions {
  /** The OpenID provider's issuer URL; discovery is read from `{issuer}/.well-known/openid-configuration`. */
  issuer: string;
  /** The BFF's client id at the provider. */
  clientId: string;
  /** The BFF's client secret (a confidential client). */
  clientSecret: string;
  /** Public origin of the SPA and the BFF, e.g. `https://app.example.com`. */
  baseUrl: string;
  /**
   * The provider's profile: defaults for what the standards leave open (scope, extra
   * authorization parameters, client authentication, logout, revocation, userinfo), each
   * overridable by its own option. See `PROVIDER_PROFILES`. Default `'generic'`.
   */
  provider?: ProviderName;
  /** Scopes to request. Default: the profile's, `'openid profile email offline_access'` for `generic`. */
  scope?: string;
  /** Where the BFF endpoints live. Default `'/bff'`. */
  path?: string;
  /** How the client authenticates at the token endpoint. Default: the profile's, `'client_secret_basic'` for `generic`. */
  clientAuthentication?: 'client_secret_basic' | 'client_secret_post';
  /**
   * Extra authorization request parameters, e.g. `{ audience: '…' }` for Auth0 or `{ resource: '…' }`,
   * merged over the profile's (Google: `access_type=offline`, `prompt=consent`).
   */
  authorizationParams?: Record<string, string>;
  /**
   * Merge the claims of the userinfo endpoint into the session's user at login (their `sub`
   * must match the ID token's, else the login fails with 401 `invalid_token`). Default `'auto'`:
   * where the profile says the ID token is thin (Keycloak, Entra ID).
   */
  userinfo?: boolean | 'auto';
  /** Accepted ID token signature algorithms. Default `['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA']`. */
  idTokenAlgorithms?: string[];
  /** Clock tolerance in seconds for token time claims. Default 5. */
  clockTolerance?: number;
  /** Refresh an access token that expires within this many seconds. Default 60. */
  refreshSkew?: number;
  /** Session options. */
  session: SessionOptions;
  /** The proxied APIs: an explicit allowlist, nothing else is proxied. Default `[]`. */
  apis?: ApiRoute[];
  /** Logout options. */
  logout?: LogoutOptions;
  /** What `/bff/user` shows. */
  user?: UserOptions;
  /** What `/bff/login` forwards. */
  login?: LoginOptions;
  /** Application hooks: login policy, logout and refresh notifications. */
  hooks?: BffHooks;
  /** A declarative login policy: allowed e-mail domains, required claims. */
  access?: AccessPolicy;
  /** Logger (pino-compatible). Default: warnings and errors to the console as JSON lines. */
  logger?: BffLogger;
  /**
   * Rate limit of `/bff/login` and `/bff/callback` per client IP: `{ max, windowSeconds }` for the
   * built-in in-memory limiter, a {@link RateLimiter} of your own (e.g. Redis-backed), or `false`.
   * Default `{ max: 60, windowSeconds: 60 }`.
   */
  rateLimit?: false | { max: number; windowSeconds: number } | RateLimiter;
  /**
   * Serve `GET /bff/diagnostics`: session metadata and token expiries, never token values.
   * Default: on only when `NODE_ENV` is `development`.
   */
  diagnostics?: boolean;
  /** Observer of logins, refreshes, logouts and proxied calls, for metrics. Default: none. */
  events?: BffEvents;
}

/** Thrown by `createBff` when an option is wrong. */
export class BffOptionsError extends TypeError {
  /** Path of the wrong option, e.g. `session.keys`. */
  readonly option: string;
  constructor(option: string, message: string) {
    super(`@portcullis/bff: option "${option}" ${message}`);
    this.name = 'BffOptionsError';
    this.option = option;
  }
}

const LOCALHOST = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Cookie names the demo provider (oidc-provider) uses on the same host: never reuse them. */
const RESERVED_COOKIE_NAMES = new Set(['_session', '_interaction', '_interaction_resume', '_state']);

function isHttpUrl(value: string, { allowPath }: { allowPath: boolean }): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username || url.password || url.hash) return undefined;
  if (!allowPath && (url.pathname !== '/' || url.search)) return undefined;
  return url;
}

const secureUrl = (what: string) =>
  z.string({ error: `must be a string: ${what}` }).refine((v) => {
    const url = isHttpUrl(v, { allowPath: true });
    return url !== undefined && (url.protocol === 'https:' || LOCALHOST.has(url.hostname));
  }, `must be an absolute https URL (plain http is allowed only for localhost): ${what}`);

const routePath = z
  .string()
  .regex(/^\/[A-Za-z0-9._~!$&'()+,;=:@-]+(\/[A-Za-z0-9._~!$&'()+,;=:@-]+)*$/, 'must be an absolute path like "/api/todos", without a trailing slash, query or wildcard (it is a prefix)')
  .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'must not contain "." or ".." segments');

const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be HTTP header names');

const apiRoute = z.strictObject({
  path: routePath,
  target: z.string().refine((v) => isHttpUrl(v, { allowPath: true }) !== undefined && !new URL(v).search, 'must be an absolute http(s) URL without query, e.g. "http://localhost:4001/todos"'),
  token: z.enum(['user', 'client', 'userOrClient', 'none'], { error: 'must be one of "user", "client", "userOrClient", "none"' }).default('user'),
  scope: z.string().min(1).optional(),
  resource: z.string().refine((v) => isHttpUrl(v, { allowPath: true }) !== undefined, 'must be an absolute URL (RFC 8707)').optional(),
  timeout: z.number().int().positive().max(600_000).default(30_000),
  maxBodySize: z.number().int().positive().default(10 * 1024 * 1024),
  ws: z.boolean().default(false),
  acr: z.array(z.string().min(1).regex(/^[\x21-\x7e]+$/, 'must be acr values without spaces')).min(1).optional(),
  maxAge: z.number().int().min(0).optional(),
  responseHeaders: z
    .strictObject({
      remove: z.array(headerName).default([]),
      keep: z.array(headerName.refine((h) => !h.toLowerCase().startsWith('set-cookie'), 'must not name Set-Cookie: the BFF owns the cookies of its origin')).default([]),
    })
    .default({ remove: [], keep: [] }),
});

/** Login parameters forwarded by default. */
export const DEFAULT_LOGIN_PARAMS = ['prompt', 'max_age', 'acr_values', 'login_hint', 'ui_locales'] as const;
/** Parameters of the protocol itself: never taken from the browser. */
export const isProtocolParam = (name: string): boolean =>
  ['scope', 'redirect_uri', 'client_id', 'response_type', 'response_mode', 'state', 'nonce', 'client_secret', 'client_assertion', 'client_assertion_type', 'id_token_hint', 'claims', 'registration', 'returnto'].includes(name.toLowerCase()) ||
  /^(code_challenge|request|dpop)/i.test(name);

const fn = <T>() => z.custom<T>((v) => typeof v === 'function', 'must be a function');

const rateLimiter = z.custom<RateLimiter>((v) => typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>)['hit'] === 'function');

const sessionStore = z.custom<SessionStore>(
  (v) => typeof v === 'object' && v !== null && ['get', 'set', 'destroy'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
  'must implement the SessionStore interface: get(id), set(id, data, ttlMs, index), destroy(id)',
);

const logger = z.custom<BffLogger>(
  (v) => typeof v === 'object' && v !== null && ['debug', 'info', 'warn', 'error'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
  'must have debug, info, warn and error methods (a pino logger fits)',
);

const schema = z.strictObject({
  issuer: secureUrl('the provider issuer, e.g. "https://id.example.com"'),
  clientId: z.string({ error: 'is required: the client id registered at the provider' }).min(1, 'must not be empty'),
  clientSecret: z.string({ error: 'is required: the client secret registered at the provider' }).min(1, 'must not be empty'),
  baseUrl: secureUrl('the public origin of the SPA and the BFF, e.g. "https://app.example.com"').refine(
    (v) => isHttpUrl(v, { allowPath: false }) !== undefined,
    'must be an origin without a path, query or fragment, e.g. "https://app.example.com"',
  ),
  scope: z
    .string()
    .refine((s) => s.split(' ').includes('openid'), 'must include "openid"')
    .optional(),
  provider: z.enum(PROVIDER_NAMES, { error: `must be one of ${PROVIDER_NAMES.map((n) => `"${n}"`).join(', ')}` }).default('generic'),
  userinfo: z.union([z.boolean(), z.literal('auto')], { error: 'must be true, false or "auto"' }).default('auto'),
  path: z.string().regex(/^\/[a-z0-9_-]+$/i, 'must be one path segment like "/bff"').default('/bff'),
  clientAuthentication: z.enum(['client_secret_basic', 'client_secret_post'], { error: 'must be "client_secret_basic" or "client_secret_post"' }).optional(),
  authorizationParams: z.record(z.string(), z.string()).default({}),
  idTokenAlgorithms: z
    .array(z.string().refine((a) => a !== 'none' && !a.startsWith('HS'), 'must be an asymmetric algorithm ("none" and HS* are refused)'))
    .min(1, 'must list at least one algorithm')
    .default(['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA']),
  clockTolerance: z.number().min(0).max(300).default(5),
  refreshSkew: z.number().min(0).max(3600).default(60),
  session: z.strictObject(
    {
      keys: z
        .array(z.string().min(32, 'must be at least 32 characters each (generate one with `openssl rand -base64 32`)'), {
          error: 'is required: a list of secrets of at least 32 characters that sign the session cookie',
        })
        .min(1, 'must contain at least one key'),
      cookieName: z
        .string()
        .regex(/^[A-Za-z0-9_-]+$/, 'must contain only letters, digits, "_" and "-" (the "__Host-" prefix is added for you)')
        .refine((n) => !RESERVED_COOKIE_NAMES.has(n), 'must not be one of the provider cookie names _session, _interaction, _interaction_resume, _state (cookies are shared across ports)')
        .refine((n) => !n.startsWith('__'), 'must not start with "__": the "__Host-" prefix is added for you')
        .default('portcullis'),
      sameSite: z.enum(['strict', 'lax'], { error: 'must be "strict" or "lax"' }).default('strict'),
      store: sessionStore.optional(),
      idleTimeout: z.number().int().min(1, 'must be at least 1 second').default(86_400),
      absoluteTimeout: z.number().int().min(1, 'must be at least 1 second').default(604_800),
    },
    { error: 'is required: { keys: [...] } at least' },
  ),
  apis: z.array(apiRoute).default([]),
  logout: z
    .strictObject({
      idTokenHint: z.union([z.boolean(), z.literal('auto')], { error: 'must be true, false or "auto"' }).default('auto'),
      revokeTokens: z.boolean().optional(),
      frontchannel: z.boolean().default(false),
    })
    .default({ idTokenHint: 'auto', frontchannel: false }),
  user: z
    .strictObject({
      claims: z
        .union([z.array(z.string().min(1)), z.custom<NonNullable<UserOptions['claims']>>((v) => typeof v === 'function')], {
          error: 'must be a list of claim names or a function (claims) => object',
        })
        .optional(),
    })
    .default({}),
  login: z
    .strictObject({
      allowedParams: z
        .array(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be parameter names in lower case'))
        .refine((names) => !names.some(isProtocolParam), 'must not name a protocol parameter (scope, redirect_uri, state, nonce, code_challenge*, request*, client_id, response_*)')
        .default([...DEFAULT_LOGIN_PARAMS]),
    })
    .default({ allowedParams: [...DEFAULT_LOGIN_PARAMS] }),
  hooks: z
    .strictObject({
      onLogin: fn<NonNullable<BffHooks['onLogin']>>().optional(),
      onLogout: fn<NonNullable<BffHooks['onLogout']>>().optional(),
      onRefresh: fn<NonNullable<BffHooks['onRefresh']>>().optional(),
    })
    .default({}),
  access: z
    .strictObject({
      allowedEmailDomains: z.array(z.string().regex(/^[a-z0-9.-]+$/i, 'must be domain names like "example.com"')).min(1).optional(),
      requiredClaims: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()]))])).optional(),
    })
    .default({}),
  logger: logger.optional(),
  rateLimit: z
    .union([
      z.literal(false),
      z.strictObject({ max: z.number().int().positive(), windowSeconds: z.number().positive() }),
      rateLimiter,
    ], { error: 'must be false, { max, windowSeconds }, or an object with a hit(key) method' })
    .default({ max: 60, windowSeconds: 60 }),
  diagnostics: z.boolean().default(() => process.env['NODE_ENV'] === 'development'),
  events: z.custom<BffEvents>((v) => typeof v === 'object' && v !== null, 'must be an object of event callbacks (login, refresh, logout, proxied, upstreamFailure)').default({}),
});

type Parsed = z.output<typeof schema>;

/** Options after validation, with defaults applied and derived values computed. */
export interface ResolvedOptions extends Omit<Parsed, 'session' | 'apis' | 'logger' | 'scope' | 'clientAuthentication' | 'logout' | 'userinfo'> {
  /** The profile's defaults, for what is not an option of its own (end-session style). */
  profile: ProviderProfile;
  scope: string;
  clientAuthentication: 'client_secret_basic' | 'client_secret_post';
  /** Logout with the profile applied: `idTokenHint` and `revokeTokens` decided. */
  logout: { idTokenHint: boolean; revokeTokens: boolean; frontchannel: boolean };
  /** Whether login merges the userinfo claims (`'auto'` decided by the profile). */
  userinfo: boolean;
  session: Omit<Parsed['session'], 'store'> & {
    store: SessionStore | undefined;
    /** The cookie name as sent, prefix included. */
    cookie: string;
    /** Whether cookies are `Secure` (false only for plain-http localhost). */
    secure: boolean;
  };
  apis: Array<
    Required<Pick<ApiRoute, 'path' | 'target' | 'token' | 'timeout' | 'maxBodySize' | 'ws'>> &
      Pick<ApiRoute, 'scope' | 'resource' | 'acr' | 'maxAge'> & { responseHeaders: { remove: string[]; keep: string[] } }
  >;
  logger: BffLogger | undefined;
  /** `baseUrl` without a trailing slash. */
  origin: string;
  /** The exact redirect URI registered at the provider: `{baseUrl}{path}/callback`. */
  redirectUri: string;
}

function optionPath(issuePath: ReadonlyArray<PropertyKey>): string {
  return issuePath.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
}

/** Validates `createBff` options once, applies defaults, and derives cookie and URL settings. */
export function resolveOptions(input: BffOptions): ResolvedOptions {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = optionPath(issue.path) || '(options)';
    const message = issue.code === 'unrecognized_keys' ? `has unknown keys ${issue.keys.map((k) => `"${k}"`).join(', ')}: check their spelling` : issue.message;
    throw new BffOptionsError(issue.code === 'unrecognized_keys' && !issue.path.length ? '(options)' : path, message);
  }
  const o = result.data;
  const base = new URL(o.baseUrl);
  const secure = base.protocol === 'https:';
  const seen = new Set<string>();
  for (const [i, api] of o.apis.entries()) {
    if (api.path === o.path || api.path.startsWith(`${o.path}/`)) throw new BffOptionsError(`apis[${i}].path`, `must not be under the BFF path "${o.path}"`);
    for (const other of seen) {
      if (api.path === other || api.path.startsWith(`${other}/`) || other.startsWith(`${api.path}/`)) throw new BffOptionsError(`apis[${i}].path`, `overlaps "${other}": each path prefix must be unique`);
    }
    seen.add(api.path);
  }
  if (new Set(o.session.keys).size !== o.session.keys.length) throw new BffOptionsError('session.keys', 'must not repeat a key');
  if (o.session.absoluteTimeout < o.session.idleTimeout) throw new BffOptionsError('session.absoluteTimeout', 'must be at least session.idleTimeout');
  const origin = base.origin;
  const profiled = resolveProfile(o);
  return {
    ...o,
    ...profiled,
    logout: { ...profiled.logout, frontchannel: o.logout.frontchannel },
    session: { ...o.session, store: o.session.store, cookie: secure ? `__Host-${o.session.cookieName}` : o.session.cookieName, secure },
    logger: o.logger,
    origin,
    redirectUri: `${origin}${o.path}/callback`,
  };
}

/**
 * The options of `createBff` as users write them: types and documented
 * defaults. Validation is in schema.ts, defaults and derived values in
 * resolve.ts.
 */
import type { BffEvents } from '../events.ts';
import type { BffLogger } from '../logger.ts';
import type { JsonWebKey } from 'node:crypto';
import type { DpopAlgorithm } from '../protocol/dpop-key.ts';
import type { ProviderName } from '../protocol/profiles.ts';
import type { SessionStore } from '../session/store.ts';

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
  /** The BFF's client secret (a confidential client). Required unless `clientAuthentication` is `'private_key_jwt'`. */
  clientSecret?: string;
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
  /**
   * How the client authenticates at the token, PAR and revocation endpoints. Default: the
   * profile's, `'client_secret_basic'` for `generic`; `'private_key_jwt'` (RFC 7523, with
   * `clientPrivateKey`) under `profile: 'fapi2'`.
   */
  clientAuthentication?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  /**
   * The client's private key for `private_key_jwt`: PEM (PKCS#8, SEC1 or PKCS#1) or a private JWK
   * (EC P-256/384/521 → ES256/384/512, Ed25519 → EdDSA, RSA ≥ 2048 bits → PS256). Its public half
   * is registered at the provider, by hand or from `GET /bff/jwks` (option `jwks`).
   */
  clientPrivateKey?: string | JsonWebKey;
  /**
   * Sender-constrained tokens with DPoP (RFC 9449): one key pair per session, generated at login
   * and stored encrypted with its tokens; proofs on the code exchange, refreshes and every call of
   * a route whose token the provider bound (`token_type: DPoP`). `{ alg }` picks the proof
   * algorithm (`'ES256'`, the default, or `'EdDSA'`). Default `false`; on under `profile: 'fapi2'`.
   */
  dpop?: boolean | { alg?: DpopAlgorithm };
  /**
   * Pushed authorization requests (RFC 9126): the authorization parameters go from the BFF to the
   * provider, the browser carries only `client_id` and `request_uri`. `'auto'`: when discovery says
   * `require_pushed_authorization_requests`. Default `'auto'`; `true` under `profile: 'fapi2'`.
   */
  par?: boolean | 'auto';
  /**
   * `'fapi2'`: the FAPI 2.0 Security Profile. Turns on PAR, DPoP and `private_key_jwt`, requires the
   * RFC 9207 `iss` authorization response parameter, limits ID token algorithms to PS256, ES256
   * and EdDSA, and refuses weaker settings at start-up.
   */
  profile?: 'fapi2';
  /** Serve `GET /bff/jwks`: the public key of `clientPrivateKey`, for the provider to fetch. Default `false`. */
  jwks?: boolean;
  /**
   * Extra authorization request parameters, e.g. `{ audience: '…' }` for Auth0 or `{ resource: '…' }`,
   * merged over the profile's (Google: `access_type=offline`, `prompt=consent`).
   */
  authorizationParams?: Record<string, string>;
  /**
   * Merge the claims of the userinfo endpoint into the session's user at login (their `sub`
   * must match the ID token's, else the login fails with 401 `invalid_token`), and again after
   * each refresh, in the background (a failure then keeps the claims the session had). Default `'auto'`:
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

/** The zod schema of `createBff`'s options: what each option accepts, with the message when it does not. */
import { z } from 'zod';
import type { BffEvents } from '../events.ts';
import type { BffLogger } from '../logger.ts';
import type { JsonWebKey } from 'node:crypto';
import { DPOP_ALGORITHMS, type DpopAlgorithm } from '../protocol/dpop-key.ts';
import { PROVIDER_NAMES } from '../protocol/profiles.ts';
import type { SessionStore } from '../session/store.ts';
import type { BffHooks, RateLimiter, UserOptions } from './types.ts';

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
  resource: z
    .string()
    .refine((v) => isHttpUrl(v, { allowPath: true }) !== undefined, 'must be an absolute URL (RFC 8707)')
    .optional(),
  timeout: z.number().int().positive().max(600_000).default(30_000),
  maxBodySize: z
    .number()
    .int()
    .positive()
    .default(10 * 1024 * 1024),
  ws: z.boolean().default(false),
  acr: z
    .array(
      z
        .string()
        .min(1)
        .regex(/^[\x21-\x7e]+$/, 'must be acr values without spaces'),
    )
    .min(1)
    .optional(),
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
  [
    'scope',
    'redirect_uri',
    'client_id',
    'response_type',
    'response_mode',
    'state',
    'nonce',
    'client_secret',
    'client_assertion',
    'client_assertion_type',
    'id_token_hint',
    'claims',
    'registration',
    'returnto',
  ].includes(name.toLowerCase()) || /^(code_challenge|request|dpop)/i.test(name);

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

export const schema = z.strictObject({
  issuer: secureUrl('the provider issuer, e.g. "https://id.example.com"'),
  clientId: z.string({ error: 'is required: the client id registered at the provider' }).min(1, 'must not be empty'),
  clientSecret: z.string({ error: 'must be a string: the client secret registered at the provider' }).min(1, 'must not be empty').optional(),
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
  path: z
    .string()
    .regex(/^\/[a-z0-9_-]+$/i, 'must be one path segment like "/bff"')
    .default('/bff'),
  clientAuthentication: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt'], { error: 'must be "client_secret_basic", "client_secret_post" or "private_key_jwt"' }).optional(),
  clientPrivateKey: z
    .union([z.string().min(1), z.custom<JsonWebKey>((v) => typeof v === 'object' && v !== null && !Array.isArray(v))], { error: 'must be a PEM private key or a private JWK object' })
    .optional(),
  dpop: z
    .union([z.boolean(), z.strictObject({ alg: z.enum(DPOP_ALGORITHMS as [DpopAlgorithm, ...DpopAlgorithm[]], { error: 'must be "ES256" or "EdDSA"' }).optional() })], {
      error: 'must be true, false or { alg: "ES256" | "EdDSA" }',
    })
    .optional(),
  par: z.union([z.boolean(), z.literal('auto')], { error: 'must be true, false or "auto"' }).optional(),
  profile: z.literal('fapi2', { error: 'must be "fapi2" (the FAPI 2.0 Security Profile) or left out' }).optional(),
  jwks: z.boolean().default(false),
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
      allowedEmailDomains: z
        .array(z.string().regex(/^[a-z0-9.-]+$/i, 'must be domain names like "example.com"'))
        .min(1)
        .optional(),
      requiredClaims: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()]))])).optional(),
    })
    .default({}),
  logger: logger.optional(),
  rateLimit: z
    .union([z.literal(false), z.strictObject({ max: z.number().int().positive(), windowSeconds: z.number().positive() }), rateLimiter], {
      error: 'must be false, { max, windowSeconds }, or an object with a hit(key) method',
    })
    .default({ max: 60, windowSeconds: 60 }),
  diagnostics: z.boolean().default(() => process.env['NODE_ENV'] === 'development'),
  events: z.custom<BffEvents>((v) => typeof v === 'object' && v !== null, 'must be an object of event callbacks (login, refresh, logout, proxied, upstreamFailure)').default({}),
});

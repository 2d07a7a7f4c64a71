/**
 * Options of {@link requireAccessToken}, validated once with zod when the
 * middleware is created. Every message names the option and says what to fix.
 *
 * @packageDocumentation
 */

import { z } from 'zod';

import { DPOP_KNOWN, dpopSchema, type DpopOptions, type ResolvedDpopOptions } from './dpop-options.ts';
import { asymmetricAlgorithms, boundedNumber, issuerUrl, scopeList, type JwsAlgorithm } from './option-schemas.ts';
import { got, parseOptions } from './validate.ts';

export type { JwsAlgorithm } from './option-schemas.ts';

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
  /**
   * Accept DPoP-bound tokens (RFC 9449): `Authorization: DPoP <token>` with a
   * `DPoP` proof header. `true` for the defaults. Default off: only `Bearer`.
   */
  dpop?: boolean | DpopOptions;
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
  readonly dpop: ResolvedDpopOptions | undefined;
}

/** The algorithms allowed when the `algorithms` option is not given. */
export const DEFAULT_ALGORITHMS: readonly JwsAlgorithm[] = Object.freeze(['RS256', 'PS256', 'ES256', 'EdDSA']);

const AUDIENCE_REQUIREMENT = 'must be a non-empty string or a non-empty array of non-empty strings';
const audienceItem = z.string({ error: got(AUDIENCE_REQUIREMENT) }).min(1, { error: got(AUDIENCE_REQUIREMENT) });

const introspection = z.strictObject(
  {
    clientId: z.string({ error: got("must be the API's non-empty client_id at the authorization server") }).min(1, { error: got("must be the API's non-empty client_id at the authorization server") }),
    // Never echo a secret, not even a wrong one: plain messages, no `got`.
    clientSecret: z.string({ error: "must be a non-empty string (the API's client secret)" }).min(1, "must be a non-empty string (the API's client secret)"),
    cacheTtl: boundedNumber('seconds', { min: 0, max: 300, integer: false }).default(30),
    cacheMaxEntries: boundedNumber('entries', { min: 1, max: 1_000_000, integer: true }).default(1000),
  },
  { error: got('must be an object { clientId, clientSecret, cacheTtl?, cacheMaxEntries? }') },
);

const schema = z.strictObject(
  {
    issuer: issuerUrl,
    audience: z
      .union([audienceItem, z.array(audienceItem, { error: got(AUDIENCE_REQUIREMENT) }).min(1, { error: got(AUDIENCE_REQUIREMENT) })], {
        error: got(AUDIENCE_REQUIREMENT),
      })
      .transform((a): readonly string[] => Object.freeze(typeof a === 'string' ? [a] : [...a])),
    scopes: scopeList.default([]),
    algorithms: asymmetricAlgorithms.optional().transform((algs): readonly JwsAlgorithm[] => (algs === undefined ? DEFAULT_ALGORITHMS : Object.freeze([...new Set(algs)]))),
    clockTolerance: boundedNumber('seconds', { min: 0, max: 300, integer: false }).default(5),
    realm: z
      .string({ error: got('must be a non-empty string of printable ASCII characters') })
      .regex(/^[\x20-\x7e]+$/, { error: got('must be a non-empty string of printable ASCII characters') })
      .optional(),
    introspection: introspection.transform((i) => Object.freeze(i)).optional(),
    timeout: boundedNumber('milliseconds', { min: 1, max: 60_000, integer: true }).default(5000),
    jwksCooldown: boundedNumber('seconds', { min: 0, max: 600, integer: false }).default(30),
    dpop: dpopSchema,
  },
  { error: got('must be an object { issuer, audience, … }') },
);

const KNOWN = {
  '': Object.keys(schema.shape),
  introspection: Object.keys(introspection.shape),
  ...DPOP_KNOWN,
};

/**
 * Validates {@link RequireAccessTokenOptions} and applies defaults.
 * @throws {@link ApiGuardOptionsError} (a `TypeError`) naming the offending option.
 * @internal
 */
export function resolveOptions(options: unknown): ResolvedOptions {
  const o = parseOptions(schema, options, { name: 'options', known: KNOWN });
  return Object.freeze({
    issuer: o.issuer,
    audience: o.audience,
    scopes: o.scopes,
    algorithms: o.algorithms,
    clockTolerance: o.clockTolerance,
    realm: o.realm,
    introspection: o.introspection,
    timeout: o.timeout,
    jwksCooldown: o.jwksCooldown,
    dpop: o.dpop,
  });
}

/**
 * Validates a list of scope names (RFC 6749 §3.3 scope-token syntax).
 * @throws {@link ApiGuardOptionsError} naming `option`.
 * @internal
 */
export function resolveScopes(value: unknown, option: string): readonly string[] {
  return parseOptions(scopeList, value, { name: option, known: {}, prefixPaths: true });
}

/**
 * Options of DPoP (RFC 9449) proof checking, the `dpop` option of
 * `requireAccessToken`.
 *
 * @packageDocumentation
 */

import { randomBytes } from 'node:crypto';

import { z } from 'zod';

import { asymmetricAlgorithms, type JwsAlgorithm } from './option-schemas.ts';
import { got } from './validate.ts';

/** Server-provided DPoP nonces (RFC 9449 §9). */
export interface DpopNonceOptions {
  /**
   * Secret (at least 32 characters) the stateless nonces are derived from.
   * Give every instance of the API the same one; default: random per process.
   */
  secret?: string;
  /** Seconds a nonce is accepted (it is also valid one period longer). Default `300`, 10–86 400. */
  lifetime?: number;
}

/** Options of DPoP-bound access tokens (RFC 9449). */
export interface DpopOptions {
  /** Refuse `Bearer` tokens: every request must use `Authorization: DPoP`. Default `false`. */
  required?: boolean;
  /** JWS algorithms accepted for proofs (asymmetric only). Default `['ES256', 'EdDSA', 'Ed25519', 'PS256', 'RS256']`. */
  algorithms?: readonly JwsAlgorithm[];
  /** Seconds a proof is accepted after its `iat` (plus `clockTolerance`). Default `60`, 1–600. */
  maxAge?: number;
  /** Require a server nonce in every proof. Default off. */
  nonce?: boolean | DpopNonceOptions;
  /**
   * The URL clients call this API at (origin, plus a path prefix that a proxy
   * strips), e.g. `https://api.example.com/v1`. The proof's `htu` must equal
   * it followed by the request path. Default: the request's own URL as Koa
   * sees it (`ctx.protocol`, `ctx.host`), which follows `X-Forwarded-Proto`
   * and `X-Forwarded-Host` only when `app.proxy` is true.
   */
  publicUrl?: string;
  /** Most proof `jti`s remembered against replay, per process. Default `10000`. */
  replayCacheSize?: number;
}

/** The proof algorithms accepted when `dpop.algorithms` is not given. */
export const DEFAULT_DPOP_ALGORITHMS: readonly JwsAlgorithm[] = Object.freeze(['ES256', 'EdDSA', 'Ed25519', 'PS256', 'RS256']);

/** @internal */
export interface ResolvedDpopOptions {
  readonly required: boolean;
  readonly algorithms: readonly JwsAlgorithm[];
  readonly maxAge: number;
  readonly nonce: { readonly secret: string; readonly lifetime: number } | undefined;
  readonly publicUrl: string | undefined;
  readonly replayCacheSize: number;
}

/** @internal Known keys, for the typo message. */
export const DPOP_KNOWN = {
  dpop: ['required', 'algorithms', 'maxAge', 'nonce', 'publicUrl', 'replayCacheSize'],
  'dpop.nonce': ['secret', 'lifetime'],
} as const;

const nonceObject = z.strictObject({
  secret: z
    .string({ error: 'must be a string of at least 32 characters (generate one with `openssl rand -base64 32`)' })
    .min(32, 'must be at least 32 characters (generate one with `openssl rand -base64 32`)')
    .optional(),
  lifetime: z
    .number({ error: got('must be a number of seconds from 10 to 86400') })
    .refine((v) => v >= 10 && v <= 86_400, { error: got('must be a number of seconds from 10 to 86400') })
    .default(300),
});

const publicUrl = z.string({ error: got('must be an absolute http(s) URL without query or fragment, e.g. "https://api.example.com"') }).refine(
  (v) => {
    try {
      const url = new URL(v);
      return (url.protocol === 'https:' || url.protocol === 'http:') && !url.search && !url.hash && !v.includes('#') && !url.username;
    } catch {
      return false;
    }
  },
  { error: got('must be an absolute http(s) URL without query or fragment, e.g. "https://api.example.com"') },
);

const dpopObject = z.strictObject({
  required: z.boolean({ error: got('must be true or false') }).default(false),
  algorithms: asymmetricAlgorithms.default(DEFAULT_DPOP_ALGORITHMS as JwsAlgorithm[]),
  maxAge: z
    .number({ error: got('must be a number of seconds from 1 to 600') })
    .refine((v) => v >= 1 && v <= 600, { error: got('must be a number of seconds from 1 to 600') })
    .default(60),
  nonce: z.union([z.boolean(), nonceObject], { error: got('must be true, false or { secret?, lifetime? }') }).default(false),
  publicUrl: publicUrl.optional(),
  replayCacheSize: z
    .number({ error: got('must be an integer from 100 to 10000000') })
    .refine((v) => Number.isInteger(v) && v >= 100 && v <= 10_000_000, { error: got('must be an integer from 100 to 10000000') })
    .default(10_000),
});

/** @internal The `dpop` option's schema: `true` = all defaults, `false`/absent = off. */
export const dpopSchema = z
  .union([z.boolean(), dpopObject], { error: got('must be true, false or an object { required?, algorithms?, maxAge?, nonce?, publicUrl?, replayCacheSize? }') })
  .optional()
  .transform((value): ResolvedDpopOptions | undefined => {
    if (value === undefined || value === false) return undefined;
    const o = value === true ? dpopObject.parse({}) : value;
    const nonce =
      o.nonce === false
        ? undefined
        : Object.freeze({
            secret: (o.nonce === true ? undefined : o.nonce.secret) ?? randomBytes(32).toString('base64url'),
            lifetime: o.nonce === true ? 300 : o.nonce.lifetime,
          });
    return Object.freeze({
      required: o.required,
      algorithms: Object.freeze([...new Set(o.algorithms)]),
      maxAge: o.maxAge,
      nonce,
      publicUrl: o.publicUrl?.replace(/\/+$/, ''),
      replayCacheSize: o.replayCacheSize,
    });
  });

/**
 * zod schemas shared by the options of every middleware of this package.
 *
 * @packageDocumentation
 */

import { z } from 'zod';

import { got } from './validate.ts';

/**
 * JWS algorithms that may be allowed. Only asymmetric ones: `none` and the
 * `HS*` family are never accepted (an `HS256` token "signed" with the issuer's
 * public key as HMAC secret must never verify).
 */
export type JwsAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA' | 'Ed25519';

const SUPPORTED: readonly JwsAlgorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** @internal A non-empty list of asymmetric JWS algorithms, each refused with its reason. */
export const asymmetricAlgorithms = z
  .array(
    z
      .string({ error: got(`must contain only ${SUPPORTED.join(', ')}`) })
      .refine((alg) => alg.toLowerCase() !== 'none', { error: got('must not contain "none": unsigned tokens are never accepted'), abort: true })
      .refine((alg) => !/^HS\d+$/i.test(alg), {
        error: got("must not contain HS* algorithms: symmetric tokens are never accepted (the issuer's public key could be used as the HMAC secret)"),
        abort: true,
      })
      .refine((alg) => (SUPPORTED as readonly string[]).includes(alg), { error: got(`must contain only ${SUPPORTED.join(', ')}`) }),
    { error: got('must be a non-empty array of JWS algorithms (e.g. ["RS256"])') },
  )
  .min(1, { error: got('must be a non-empty array of JWS algorithms (e.g. ["RS256"])') })
  .transform((algs) => algs as JwsAlgorithm[]);

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** @internal A list of scope names (RFC 6749 §3.3), deduplicated and frozen. */
export const scopeList = z
  .array(
    z.string({ error: got('must contain scope names without spaces, quotes or backslashes') }).regex(SCOPE_TOKEN, { error: got('must contain scope names without spaces, quotes or backslashes') }),
    { error: got('must be an array of scope names (e.g. ["orders:read"])') },
  )
  .transform((scopes): readonly string[] => Object.freeze([...new Set(scopes)]));

/** @internal A number within bounds; the message names the unit and the range. */
export function boundedNumber(unit: string, { min, max, integer }: { min: number; max: number; integer: boolean }) {
  const requirement = `must be ${integer ? 'an integer' : 'a number'} of ${unit} from ${min} to ${max}`;
  return z.number({ error: got(requirement) }).refine((v) => v >= min && v <= max && (!integer || Number.isInteger(v)), { error: got(requirement) });
}

const LOCALHOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const ISSUER_REQUIREMENT = 'must be an absolute https URL (http allowed for localhost)';

/** @internal An issuer identifier: https (http on localhost), no credentials, query or fragment. */
export const issuerUrl = z
  .string({ error: got(ISSUER_REQUIREMENT) })
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return url.protocol === 'https:' || (url.protocol === 'http:' && LOCALHOSTS.has(url.hostname));
      } catch {
        return false;
      }
    },
    { error: got(ISSUER_REQUIREMENT), abort: true },
  )
  .refine(
    (value) => {
      const url = new URL(value);
      return url.username === '' && url.password === '' && url.search === '' && url.hash === '' && !value.includes('#');
    },
    { error: got('must not contain credentials, a query or a fragment (RFC 8414 §2)') },
  );

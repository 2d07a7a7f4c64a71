/**
 * The client's security settings resolved together, because they depend on
 * each other: client authentication and its key, DPoP, PAR, the RFC 9207
 * `iss` requirement, and what `profile: 'fapi2'` (FAPI 2.0 Security Profile,
 * §5) turns on and refuses.
 */
import { readClientKey, type ClientKey } from '../protocol/client-key.ts';
import type { DpopAlgorithm } from '../protocol/dpop-key.ts';
import { BffOptionsError, type BffOptions } from './types.ts';

/** The security settings as the BFF uses them. */
export interface SecuritySettings {
  clientAuthentication: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  /** The key of `private_key_jwt`. */
  clientKey: ClientKey | undefined;
  /** The DPoP proof algorithm, or `undefined` when DPoP is off. */
  dpop: DpopAlgorithm | undefined;
  /** Push authorization requests: always, never, or when discovery requires it. */
  par: boolean | 'auto';
  /** Refuse an authorization response without `iss` even when discovery does not promise it. */
  requireIss: boolean;
  /** ID token algorithms, narrowed by the profile. */
  idTokenAlgorithms: string[];
}

/** FAPI 2.0 §5.4: the only JWS algorithms allowed. */
const FAPI2_ALGORITHMS = ['PS256', 'ES256', 'EdDSA'];

type Input = Pick<BffOptions, 'clientSecret' | 'clientPrivateKey' | 'dpop' | 'par' | 'profile' | 'jwks' | 'idTokenAlgorithms'> & {
  /** The option as given, else the provider profile's default. */
  clientAuthentication: SecuritySettings['clientAuthentication'] | undefined;
  profileDefault: 'client_secret_basic' | 'client_secret_post';
  idTokenAlgorithms: string[];
  /** Whether `idTokenAlgorithms` was given (not the default). */
  idTokenAlgorithmsGiven: boolean;
};

/** Resolves and cross-checks; throws a {@link BffOptionsError} naming the option to change. */
export function resolveSecurity(o: Input): SecuritySettings {
  const fapi = o.profile === 'fapi2';
  const clientAuthentication = o.clientAuthentication ?? (fapi ? 'private_key_jwt' : o.profileDefault);
  if (fapi) {
    if (clientAuthentication !== 'private_key_jwt') throw new BffOptionsError('clientAuthentication', 'must be "private_key_jwt" with profile "fapi2" (FAPI 2.0 allows no client secrets)');
    if (o.dpop === false) throw new BffOptionsError('dpop', 'must not be false with profile "fapi2" (FAPI 2.0 requires sender-constrained tokens)');
    if (o.par === false || o.par === 'auto') throw new BffOptionsError('par', 'must be true or left out with profile "fapi2" (FAPI 2.0 requires pushed authorization requests)');
    const weak = o.idTokenAlgorithmsGiven ? o.idTokenAlgorithms.find((a) => !FAPI2_ALGORITHMS.includes(a)) : undefined;
    if (weak) throw new BffOptionsError('idTokenAlgorithms', `must not include "${weak}" with profile "fapi2": FAPI 2.0 allows only PS256, ES256 and EdDSA`);
  }
  let clientKey: ClientKey | undefined;
  if (clientAuthentication === 'private_key_jwt') {
    if (o.clientPrivateKey === undefined)
      throw new BffOptionsError('clientPrivateKey', 'is required with clientAuthentication "private_key_jwt": the PEM or private JWK whose public key is registered at the provider');
    try {
      clientKey = readClientKey(o.clientPrivateKey);
    } catch (err) {
      throw new BffOptionsError('clientPrivateKey', (err as Error).message);
    }
  } else if (!o.clientSecret) {
    throw new BffOptionsError('clientSecret', 'is required: the client secret registered at the provider (or use clientAuthentication "private_key_jwt" with clientPrivateKey)');
  }
  if (o.jwks && !clientKey) throw new BffOptionsError('jwks', 'needs clientAuthentication "private_key_jwt": there is no client key to publish');
  const dpop = o.dpop === undefined ? (fapi ? 'ES256' : undefined) : o.dpop === false ? undefined : o.dpop === true ? 'ES256' : (o.dpop.alg ?? 'ES256');
  return {
    clientAuthentication,
    clientKey,
    dpop,
    par: o.par ?? (fapi ? true : 'auto'),
    requireIss: fapi,
    idTokenAlgorithms: fapi && !o.idTokenAlgorithmsGiven ? FAPI2_ALGORITHMS : o.idTokenAlgorithms,
  };
}

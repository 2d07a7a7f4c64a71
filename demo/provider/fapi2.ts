/**
 * The demo provider in FAPI 2.0 Security Profile mode (`securityProfile:
 * 'fapi2'`). oidc-provider 8's `features.fapi` (profile '2.0') only adds a few
 * checks (PKCE required, request object claims, no access tokens in query
 * strings); the rest of the profile is plain configuration, set here:
 *
 * - pushed authorization requests (RFC 9126) required for every client;
 * - `private_key_jwt` the only client authentication, with PS256, ES256 or
 *   EdDSA; the assertion's `aud` must be the issuer identifier as a string
 *   (FAPI 2.0 final §5.3.2.1; oidc-provider 8 alone also accepts endpoint URLs);
 * - DPoP (RFC 9449) on, and every client's access tokens DPoP-bound
 *   (`dpop_bound_access_tokens`): a token request without a proof fails;
 * - ID, logout and JWT access tokens signed with PS256 (FAPI 2.0 §5.4 allows
 *   no RS256);
 * - PKCE S256 and RFC 9207 `iss` in authorization responses are on in every
 *   mode (create-provider.ts; oidc-provider always sends `iss`).
 */
import { randomBytes } from 'node:crypto';
import { errors, type ClientMetadata, type Configuration } from 'oidc-provider';
import type { DemoClientConfig } from './create-provider.ts';

/** The security profiles the demo provider can run. */
export type DemoSecurityProfile = 'fapi2';

/** The JWS algorithms FAPI 2.0 allows (§5.4), for client assertions and DPoP proofs. */
export const FAPI2_ALGORITHMS = ['PS256', 'ES256', 'EdDSA'] as const;

/** The provider's own signing algorithm in FAPI 2 mode (its keys are RSA). */
export const FAPI2_SIGNING_ALG = 'PS256';

export interface Fapi2Settings {
  issuer: string;
  /**
   * Whether every DPoP proof must carry a provider nonce (RFC 9449 §8).
   * Default false: FAPI 2.0 does not ask for it, and proofs are still fresh
   * (oidc-provider accepts an `iat` within 300 s and refuses a replayed `jti`).
   */
  requireDpopNonce?: boolean;
}

/** `configuration` turned into FAPI 2.0 Security Profile mode. */
export function withFapi2(configuration: Configuration, { issuer, requireDpopNonce = false }: Fapi2Settings): Configuration {
  const algorithms = [...FAPI2_ALGORITHMS];
  return {
    ...configuration,
    clientAuthMethods: ['private_key_jwt'],
    responseTypes: ['code'], // FAPI 2.0 §5.3.2.2: the code flow only
    clientDefaults: { ...configuration.clientDefaults, id_token_signed_response_alg: FAPI2_SIGNING_ALG },
    enabledJWA: {
      ...configuration.enabledJWA,
      clientAuthSigningAlgValues: algorithms,
      dPoPSigningAlgValues: algorithms,
      idTokenSigningAlgValues: algorithms,
    },
    assertJwtClientAuthClaimsAndHeader: (_ctx, claims) => {
      if (claims['aud'] !== issuer) {
        throw new errors.InvalidClientAuth(`the client assertion's aud must be the issuer identifier "${issuer}" as a string`);
      }
    },
    features: {
      ...configuration.features,
      fapi: { enabled: true, profile: '2.0' },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true },
      dPoP: {
        enabled: true,
        // Nonces are offered (a DPoP-Nonce header on token responses) so clients can use them;
        // a random secret per provider is enough: nonces only need to outlive one demo run.
        nonceSecret: randomBytes(32),
        requireNonce: () => requireDpopNonce,
        allowReplay: false,
      },
    },
  };
}

/**
 * The FAPI 2 parts of one client's metadata: its public keys, and tokens
 * bound to a DPoP key.
 * @throws Error naming the client when it has no public keys or another auth method
 */
export function fapi2ClientMetadata(client: DemoClientConfig, metadata: ClientMetadata): ClientMetadata {
  if (client.tokenEndpointAuthMethod !== 'private_key_jwt' || !client.jwks?.keys.length) {
    throw new Error(`client ${client.clientId}: the FAPI 2.0 profile accepts only private_key_jwt: give it tokenEndpointAuthMethod: 'private_key_jwt' and jwks (its public keys)`);
  }
  return { ...metadata, dpop_bound_access_tokens: true, require_pushed_authorization_requests: true };
}

import type { JWK } from 'jose';
import type { ClientMetadata } from 'oidc-provider';
import { fapi2ClientMetadata, type DemoSecurityProfile } from './fapi2.ts';

/** A client registered at the demo provider. */
export interface DemoClientConfig {
  clientId: string;
  /** Needed by the client_secret_* methods; none with private_key_jwt. */
  clientSecret?: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  /** Receives OIDC back-channel logout tokens (sid included). Plain http://localhost works. */
  backchannelLogoutUri?: string;
  grantTypes: Array<'authorization_code' | 'refresh_token' | 'client_credentials'>;
  /**
   * Token endpoint client authentication; default 'client_secret_basic'. The
   * FAPI 2 profile accepts only 'private_key_jwt'.
   */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  /** The client's public keys (private_key_jwt). Private members are refused. */
  jwks?: { keys: JWK[] };
  /** Shown on the login and logout pages. */
  clientName?: string;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

/**
 * oidc-provider's metadata for `client`.
 * @throws Error naming the client when its authentication settings do not fit together or the profile
 */
export function toClientMetadata(client: DemoClientConfig, profile: DemoSecurityProfile | undefined): ClientMetadata {
  const usesCode = client.grantTypes.includes('authorization_code');
  const method = client.tokenEndpointAuthMethod ?? 'client_secret_basic';
  const metadata: ClientMetadata = {
    client_id: client.clientId,
    grant_types: client.grantTypes,
    response_types: usesCode ? ['code'] : [],
    redirect_uris: client.redirectUris ?? [],
    post_logout_redirect_uris: client.postLogoutRedirectUris ?? [],
    token_endpoint_auth_method: method,
  };
  if (method === 'private_key_jwt') {
    const keys = client.jwks?.keys ?? [];
    if (keys.length === 0) throw new Error(`client ${client.clientId}: private_key_jwt needs jwks (its public keys)`);
    // A private key handed over by mistake would be published nowhere, but must not be kept either.
    if (keys.some((key) => PRIVATE_MEMBERS.some((member) => member in key))) {
      throw new Error(`client ${client.clientId}: jwks must hold public keys only`);
    }
    metadata.jwks = { keys: keys as NonNullable<ClientMetadata['jwks']>['keys'] };
  } else {
    if (!client.clientSecret) throw new Error(`client ${client.clientId}: ${method} needs a clientSecret`);
    metadata.client_secret = client.clientSecret;
  }
  if (client.clientName) metadata.client_name = client.clientName;
  if (client.backchannelLogoutUri) {
    metadata.backchannel_logout_uri = client.backchannelLogoutUri;
    metadata.backchannel_logout_session_required = true;
  }
  return profile === 'fapi2' ? fapi2ClientMetadata(client, metadata) : metadata;
}

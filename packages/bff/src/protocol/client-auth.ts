/**
 * Client authentication at the provider's token, PAR and revocation
 * endpoints: `client_secret_basic` (RFC 6749 §2.3.1, each part
 * form-urlencoded before base64), `client_secret_post`, or `private_key_jwt`
 * (RFC 7523: a short-lived assertion signed with the client's key, `aud` the
 * issuer as FAPI 2.0 and RFC 7523bis ask, a fresh `jti` each time).
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { ClientKey } from './client-key.ts';

/** How the BFF authenticates itself. */
export type ClientAuthConfig =
  { method: 'client_secret_basic' | 'client_secret_post'; clientId: string; clientSecret: string } | { method: 'private_key_jwt'; clientId: string; key: ClientKey; issuer: string };

/** The client authentication of resolved options (`clientKey` is there for `private_key_jwt`, checked at start-up). */
export function clientAuthConfig(options: {
  clientAuthentication: ClientAuthConfig['method'];
  clientId: string;
  clientSecret?: string | undefined;
  clientKey?: ClientKey | undefined;
  issuer: string;
}): ClientAuthConfig {
  if (options.clientAuthentication === 'private_key_jwt') return { method: 'private_key_jwt', clientId: options.clientId, key: options.clientKey!, issuer: options.issuer };
  return { method: options.clientAuthentication, clientId: options.clientId, clientSecret: options.clientSecret ?? '' };
}

/** Seconds a client assertion is valid: just long enough for one request. */
const ASSERTION_LIFETIME = 60;

/** Adds the client's credentials to a form request (body or `Authorization`). */
export async function authenticateClient(config: ClientAuthConfig, body: URLSearchParams, headers: Record<string, string>): Promise<void> {
  switch (config.method) {
    case 'client_secret_basic':
      headers['authorization'] = `Basic ${Buffer.from(`${encodeURIComponent(config.clientId)}:${encodeURIComponent(config.clientSecret)}`).toString('base64')}`;
      return;
    case 'client_secret_post':
      body.set('client_id', config.clientId);
      body.set('client_secret', config.clientSecret);
      return;
    case 'private_key_jwt': {
      const now = Math.floor(Date.now() / 1000);
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: config.key.alg, kid: config.key.kid })
        .setIssuer(config.clientId)
        .setSubject(config.clientId)
        .setAudience(config.issuer)
        .setJti(randomBytes(16).toString('base64url'))
        .setIssuedAt(now)
        .setExpirationTime(now + ASSERTION_LIFETIME)
        .sign(config.key.key);
      body.set('client_id', config.clientId);
      body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      body.set('client_assertion', assertion);
    }
  }
}

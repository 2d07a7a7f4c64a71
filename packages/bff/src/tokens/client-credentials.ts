/**
 * The BFF's own access tokens (client credentials grant), for APIs routed
 * with `token: 'client'` or `'userOrClient'`: machine-to-machine calls.
 * Cached per (scope, resource) until shortly before expiry; one grant at a
 * time per cache key.
 */
import { TemporarilyUnavailable } from '../errors.ts';
import type { ResolvedOptions } from '../options.ts';
import type { ProviderClient } from '../protocol/provider-client.ts';
import { SingleFlight } from './single-flight.ts';
import { expiresWithin } from './expiry.ts';

interface Cached {
  accessToken: string;
  expiresAt: number;
  issuedAt: number;
}

/** What the client-credentials cache works with. */
export interface ClientCredentialsDeps {
  provider: Pick<ProviderClient, 'metadata'>;
  options: Pick<ResolvedOptions, 'clientId' | 'clientSecret' | 'clientAuthentication' | 'refreshSkew'>;
}

/** Client-credentials tokens with a cache. */
export class ClientCredentials {
  readonly #deps: ClientCredentialsDeps;
  readonly #cache = new Map<string, Cached>();
  readonly #flights = new SingleFlight<Cached>();

  constructor(deps: ClientCredentialsDeps) {
    this.#deps = deps;
  }

  /** A valid client access token for `scope` and `resource`. */
  async accessToken(scope?: string, resource?: string): Promise<string> {
    const key = `${scope ?? ''} ${resource ?? ''}`;
    const cached = this.#cache.get(key);
    if (cached && !expiresWithin(cached.expiresAt, cached.issuedAt, this.#deps.options.refreshSkew)) return cached.accessToken;
    const fresh = await this.#flights.run(key, () => this.#request(scope, resource));
    this.#cache.set(key, fresh);
    return fresh.accessToken;
  }

  async #request(scope?: string, resource?: string): Promise<Cached> {
    const { options, provider } = this.#deps;
    const { token_endpoint } = await provider.metadata();
    if (!token_endpoint) throw new TemporarilyUnavailable('The provider advertises no token_endpoint.');
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope) body.set('scope', scope);
    if (resource) body.set('resource', resource);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (options.clientAuthentication === 'client_secret_basic') {
      // RFC 6749 §2.3.1: form-urlencode each part before base64.
      headers['authorization'] = `Basic ${Buffer.from(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`).toString('base64')}`;
    } else {
      body.set('client_id', options.clientId);
      body.set('client_secret', options.clientSecret);
    }
    let response: Response;
    try {
      response = await fetch(token_endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      throw new TemporarilyUnavailable('The identity provider could not be reached for a client token.', { cause: err });
    }
    const json = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string };
    if (!response.ok || typeof json.access_token !== 'string') {
      throw new TemporarilyUnavailable(`The identity provider refused a client token (${json.error ?? response.status}).`);
    }
    const issuedAt = Math.floor(Date.now() / 1000);
    return { accessToken: json.access_token, issuedAt, expiresAt: issuedAt + (json.expires_in ?? 60) };
  }
}
